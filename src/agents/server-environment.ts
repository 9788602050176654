/**
 * What to do about a variable of the agents' environment that keeps Tower's hooks from binding:
 * the agents get the environment of the Tower server, from the shell that started it, so a
 * variable unset in another shell stays theirs until the server starts again.
 */
export const SERVER_ENVIRONMENT =
  "the agents get the environment of the shell that started the Tower server: `tower server stop`, unset it, and start Tower again";
