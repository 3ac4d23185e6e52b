// Bearer-token check for the /v1 routes. Both sides are hashed before comparing so the comparison
// takes the same time whatever the token's length or how many leading bytes a guess got right.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Handler } from '../../net/http-app.js';
import { jsonError } from './api-error.js';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

export function bearerAuth(token: string): Handler {
  return (c, next) => {
    const header = c.req.header('authorization');
    const match = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match?.[1]) {
      c.header('WWW-Authenticate', 'Bearer realm="grapevine"');
      return jsonError(c, 401, 'missing bearer token: send "Authorization: Bearer <token>"');
    }
    if (!tokenMatches(match[1], token)) {
      c.header('WWW-Authenticate', 'Bearer realm="grapevine", error="invalid_token"');
      return jsonError(c, 401, 'invalid bearer token');
    }
    return next();
  };
}
