/* Copyright 2026 the mod_deskauth authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

/* da_jwt.h: signing keys and access tokens (RFC 7519, RFC 9068, RFC 8725).
 * APR + OpenSSL + json-c; no httpd header (libjwt 1.10 cannot write or
 * read typ at+jwt, so signing and verifying use OpenSSL EVP directly).
 *
 * Keys are read and parsed once, at configuration time. Verification pins
 * the algorithm to the keyring's: a token's header must say exactly that
 * alg, typ "at+jwt", and a kid naming one of the keyring's keys; `none`,
 * an HMAC alg against an RSA/EC key, jku/x5u/jwk headers are refused
 * before any signature check. */
#ifndef DA_JWT_H
#define DA_JWT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <json.h>

typedef struct da_key da_key_t;           /* opaque; owned by its pool */

typedef struct {
    apr_array_header_t *keys;             /* da_key_t *; [0] signs (if any) */
    const char *alg;                      /* the pinned algorithm, "ES256" */
} da_keyring_t;

/* The claims of an access token. Strings are NULL when absent. */
typedef struct {
    const char *iss, *aud, *sub, *jti, *sid;
    const char *email, *role, *name, *client_id;
    const char *scope;                    /* granted scopes (RFC 9068 §2.2.3) */
    const char *amr;                      /* RFC 8176 methods, space-separated
                                           * ("pwd otp mfa", "hwk user"); a
                                           * JSON array in the token */
    apr_int64_t exp, iat, nbf;
    json_object *payload;                 /* all claims, owned by the pool */
    const char *payload_json;             /* or as text (da_verified.c) */
    int plain;                            /* 1: no string claim has a control
                                           * character (known on cache hits) */
} da_claims_t;

/* Read a key file. A PEM private key (RSA >= 2048 bits, EC P-256/P-384)
 * or, with public_ok, a PEM public key (verification only); anything
 * else is an HMAC secret used byte for byte, one trailing newline dropped,
 * at least 32 bytes. kid NULL: derived from the key (RFC 7638 thumbprint,
 * for HMAC a hash of the key). On failure *err is one line naming the
 * problem (not the directive). */
apr_status_t da_key_load(apr_pool_t *p, const char *path, const char *kid,
                         int public_ok, da_key_t **key, const char **err);

/* Write a new EC P-256 private key to path (mode 0600) unless the file
 * exists. */
apr_status_t da_key_generate_demo(apr_pool_t *p, const char *path,
                                  const char **err);

const char *da_key_kid(const da_key_t *key);
const char *da_key_default_alg(const da_key_t *key);   /* "ES256", "RS256", "HS256", "ES384" */
int da_key_can_sign(const da_key_t *key);

/* Can key be used with alg (same family, right curve; an HMAC key at least
 * as long as the hash, RFC 7518 §3.2, so 32 bytes allow HS256 only)? */
int da_key_alg_compatible(const da_key_t *key, const char *alg);

/* Sign the claims (iss, aud, sub, exp, iat, nbf, jti, sid, email, role,
 * name, client_id, scope, amr when set) with keys[0] and alg, header typ
 * at+jwt, kid. */
apr_status_t da_jwt_sign(apr_pool_t *p, const da_keyring_t *kr,
                         const da_claims_t *c, const char **token);

/* Sign any payload with keys[0] and alg, header typ (an ID token: "JWT")
 * and kid. */
apr_status_t da_jwt_sign_json(apr_pool_t *p, const da_keyring_t *kr,
                              const char *typ, json_object *body, const char **token);

/* The pinned header checks (alg, this typ, kid, no jku/x5u/jwk) and the
 * signature, nothing about the claims: *payload is the signed JSON object.
 * For an ID token coming back as id_token_hint (which may have expired). */
apr_status_t da_jwt_verify_signed(apr_pool_t *p, const da_keyring_t *kr,
                                  const char *token, const char *typ,
                                  json_object **payload, const char **why);

/* Verify: pinned alg, typ, kid, signature, then exp required, nbf/iat with
 * 60 s leeway against now, iss == issuer, aud == audience (a single string).
 * On failure returns non-zero and *why is a short reason for the debug log
 * (never contains the token). */
apr_status_t da_jwt_verify(apr_pool_t *p, const da_keyring_t *kr,
                           const char *token, const char *issuer,
                           const char *audience, apr_int64_t now,
                           da_claims_t **claims, const char **why);

/* A claim as a string, for Require deskauth-claim: strings as they are,
 * numbers and booleans in their JSON spelling, an array of those as its
 * elements separated by one space; NULL when absent (or an object). */
const char *da_claims_get(apr_pool_t *p, const da_claims_t *c, const char *name);

/* A claim's values: one for a string, number or boolean, each element
 * for an array of those; NULL when absent (or an object). */
apr_array_header_t *da_claims_values(apr_pool_t *p, const da_claims_t *c,
                                     const char *name);

/* The words of a space-separated list ("pwd otp" -> ["pwd","otp"]) as a
 * JSON array; NULL for NULL or "". */
json_object *da_words_json(const char *words);

/* The public keys as a JWK Set (RFC 7517): {"keys":[{kty,use,alg,kid,...}]}.
 * HMAC keys are never published. */
const char *da_jwks_json(apr_pool_t *p, const da_keyring_t *kr);

#endif
