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

/* da_webauthn.h: the relying party's side of WebAuthn Level 2 (passkeys),
 * APR + libcbor + OpenSSL + json-c only: the attestation object, the
 * authenticator data, COSE public keys, clientDataJSON, and the assertion
 * signature (docs/passkeys.md). Nothing here touches the database or the
 * request: the endpoint (src/endpoints/da_passkey.c) feeds it bytes.
 *
 * Every parser is strict: definite lengths only, no trailing bytes, sizes
 * measured before they are read. A refusal returns APR_EINVAL (or
 * APR_ENOTIMPL for a well-formed key of an algorithm we do not offer). */
#ifndef DA_WEBAUTHN_H
#define DA_WEBAUTHN_H

#include <apr_pools.h>
#include <apr_tables.h>

/* COSE algorithm identifiers offered in pubKeyCredParams. */
#define DA_COSE_ES256  (-7)
#define DA_COSE_EDDSA  (-8)
#define DA_COSE_RS256  (-257)

/* Authenticator data flags (WebAuthn §6.1). */
#define DA_AD_UP 0x01                     /* user present */
#define DA_AD_UV 0x04                     /* user verified */
#define DA_AD_BE 0x08                     /* backup eligible */
#define DA_AD_BS 0x10                     /* backed up */
#define DA_AD_AT 0x40                     /* attested credential data */
#define DA_AD_ED 0x80                     /* extensions */

#define DA_WEBAUTHN_MAX_CRED_ID 1023      /* WebAuthn §5.8.3 */

typedef struct {
    unsigned char rp_id_hash[32];
    unsigned char flags;
    apr_uint32_t sign_count;
    /* With DA_AD_AT only (else NULL / 0): */
    const unsigned char *cred_id;
    apr_size_t cred_id_len;
    const unsigned char *cose_key;        /* the COSE_Key's CBOR bytes */
    apr_size_t cose_key_len;
} da_authdata_t;

/* A public key ready for OpenSSL: its COSE algorithm and the DER
 * SubjectPublicKeyInfo (what the database keeps). */
typedef struct {
    int alg;
    const unsigned char *spki;
    apr_size_t spki_len;
} da_cose_key_t;

typedef struct {
    const char *type;                     /* "webauthn.create", "webauthn.get" */
    const char *challenge;                /* base64url, as the browser wrote it */
    const char *origin;
    int cross_origin;                     /* "crossOrigin": true */
} da_client_data_t;

/* Parse authenticator data (37 bytes at least; with AT the attested
 * credential and its COSE key; with ED a CBOR map of extensions; nothing
 * after). Pointers in *ad point into buf. */
apr_status_t da_webauthn_authdata_parse(apr_pool_t *p, const unsigned char *buf,
                                        apr_size_t len, da_authdata_t *ad);

/* Parse an attestation object (a CBOR map with "fmt", "attStmt" and
 * "authData"): *authdata points to a copy of authData in p. We ask for
 * attestation "none", so the statement is not verified, whatever fmt says
 * (WebAuthn §7.1 step 21 leaves that to the relying party). */
apr_status_t da_webauthn_attestation_parse(apr_pool_t *p, const unsigned char *buf,
                                           apr_size_t len,
                                           const unsigned char **authdata,
                                           apr_size_t *authdata_len);

/* A COSE_Key (RFC 9053): EC2 P-256 with ES256, RSA (2048-8192 bits) with
 * RS256, OKP Ed25519 with EdDSA. Its "alg" must be present and match its
 * type. APR_ENOTIMPL for any other algorithm or curve. */
apr_status_t da_cose_key_parse(apr_pool_t *p, const unsigned char *buf, apr_size_t len,
                               da_cose_key_t *key);

/* clientDataJSON: a JSON object with string type, challenge and origin;
 * crossOrigin optional (boolean). Other members are ignored. */
apr_status_t da_webauthn_client_data_parse(apr_pool_t *p, const unsigned char *buf,
                                           apr_size_t len, da_client_data_t *cd);

/* APR_SUCCESS when sig is key's signature of authdata || SHA-256(client_data)
 * (WebAuthn §7.2 step 20), else APR_EINVAL. */
apr_status_t da_webauthn_verify_signature(apr_pool_t *p, const da_cose_key_t *key,
                                          const unsigned char *authdata, apr_size_t adlen,
                                          const unsigned char *client_data, apr_size_t cdlen,
                                          const unsigned char *sig, apr_size_t siglen);

/* What a ceremony must show (WebAuthn §7.1 and §7.2). */
typedef struct {
    const char *type;                     /* "webauthn.create" or "webauthn.get" */
    const char *challenge;                /* base64url of the challenge issued */
    const apr_array_header_t *origins;    /* const char *, exact */
    const char *rp_id;
    int require_uv;
} da_webauthn_expect_t;

/* The checks of clientDataJSON and the authenticator data that do not need
 * the stored credential: type, challenge, origin (exact, not cross-origin),
 * rpIdHash, UP, UV when required. NULL when all pass, else which one failed
 * (for the log, never for the client). */
const char *da_webauthn_check(apr_pool_t *p, const da_webauthn_expect_t *e,
                              const da_client_data_t *cd, const da_authdata_t *ad);

/* signCount rule (WebAuthn §7.2 step 21): 1 when the new count is
 * acceptable: both zero (a synced passkey that keeps no counter), or the
 * new one greater than the stored one. */
int da_webauthn_count_ok(apr_int64_t stored, apr_uint32_t received);

#endif
