/*
 * password.h - password hashing with argon2id (libargon2), encoded in the
 * PHC string format ($argon2id$v=19$m=…,t=…,p=…$salt$hash), so parameters
 * can be raised later without breaking existing hashes.
 */
#ifndef ANX_PASSWORD_H
#define ANX_PASSWORD_H

#include <stddef.h>

#define ANX_PASSWORD_MIN      10
#define ANX_PASSWORD_MAX      256
#define ANX_PASSWORD_HASH_MAX 128

/* Hashes password into out (ANX_PASSWORD_HASH_MAX bytes). 0 or -1. */
int anx_password_hash(const char *password, char *out, size_t outlen);

/* 1 if password matches encoded, 0 if not (or encoded is malformed). */
int anx_password_verify(const char *encoded, const char *password);

/* 1 if encoded was made with weaker parameters than today's. */
int anx_password_needs_rehash(const char *encoded);

#endif
