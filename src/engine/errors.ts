/** Failures the engine reports to every caller in the same terms. */

/** An action that is not allowed now (a lock held by another, a gate not met): exit code 3. */
export class RefusedError extends Error {
  override name = "RefusedError";
}

/** An id that the plan or the state does not know. */
export class UnknownIdError extends Error {
  override name = "UnknownIdError";
}
