export { errorCodes, type ErrorCode } from './codes.js'
export { SeamlineError, isSeamlineError, type SeamlineErrorOptions } from './seamline-error.js'
