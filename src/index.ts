export {
  SeamlineError,
  isSeamlineError,
  errorCodes,
  type ErrorCode,
  type SeamlineErrorOptions,
} from './errors/index.js'
export { systemClock, type Clock } from './time/index.js'
