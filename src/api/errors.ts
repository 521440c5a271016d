// Errors as Nomad writes them: a status code and a plain-text message (the Go client shows
// `Unexpected response code: <code> (<body>)`, python-nomad maps 400/403/404 to exceptions), never
// a JSON error body. Route code throws ApiError; the app's error handler writes it.

export class ApiError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
  }
}

export const badRequest = (message: string) => new ApiError(400, message);
export const notFound = (message: string) => new ApiError(404, message);
export const internal = (message: string) => new ApiError(500, message);

/** Nomad's ACL answers. */
export const PERMISSION_DENIED = 'Permission denied';
export const TOKEN_NOT_FOUND = 'ACL token not found';
export const permissionDenied = () => new ApiError(403, PERMISSION_DENIED);
export const tokenNotFound = () => new ApiError(403, TOKEN_NOT_FOUND);

/** Nomad's bad-filter prefixes (api.ResultPaginatorErrorContent and the page-read error). */
export const FILTER_PARSE_PREFIX = 'failed to create result paginator: failed to read filter expression: ';
export const FILTER_EVAL_PREFIX = 'failed to read result page: ';
