/**
 * Every error code Seamline can raise, with the one-line meaning shown in `docs/errors.md`.
 * Codes are stable: once published a code keeps its meaning and is never reused for another.
 */
export const errorCodes = {
  SEAM_ERR_INVALID_ARGUMENT:
    'A function was called with a value it cannot accept; the message names the parameter and the value.',
} as const satisfies Record<`SEAM_ERR_${string}`, string>

export type ErrorCode = keyof typeof errorCodes
