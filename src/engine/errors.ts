/** Failures the engine reports to every caller in the same terms. */

/** An action that is not allowed now (a lock held by another, a gate not met): exit code 3. */
export class RefusedError extends Error {
  override name = "RefusedError";
}

/** An id that the plan or the state does not know. */
export class UnknownIdError extends Error {
  override name = "UnknownIdError";
}

/**
 * A folder or a room that the command was pointed at and that is not there: a path that is no
 * folder, a folder in no git repository, no Tower server (or several) to choose from. The
 * user's to mend, said in one line; never a defect.
 */
export class TargetError extends Error {
  override name = "TargetError";
}

/**
 * A file or folder that Tower will not use as it is found (a link, another user's, open to
 * other users, not the kind it should be): its sockets' folder, a socket, the server's token.
 * Said in one line with what to do; never a defect.
 */
export class UnsafePathError extends Error {
  override name = "UnsafePathError";
}
