/*
 * password.c - argon2id password hashing; see password.h.
 *
 * Parameters follow the OWASP recommendation for argon2id (19 MiB, t=2,
 * p=1): about 30 ms here, and small enough that a FastCGI worker's memory
 * returns to the system after each login (one mmap'd block).
 */
#include "password.h"

#include <stdio.h>
#include <string.h>

#include <argon2.h>

#include "crypto.h"

#define T_COST      2
#define M_COST      19456
#define PARALLELISM 1
#define SALT_LEN    16
#define HASH_LEN    32

int
anx_password_hash(const char *password, char *out, size_t outlen)
{
	unsigned char salt[SALT_LEN];
	size_t n = strlen(password);
	int rc;

	if (n > ANX_PASSWORD_MAX || anx_random(salt, sizeof(salt)) != 0)
		return -1;
	rc = argon2id_hash_encoded(T_COST, M_COST, PARALLELISM, password, n, salt, sizeof(salt),
		HASH_LEN, out, outlen);
	return rc == ARGON2_OK ? 0 : -1;
}

int
anx_password_verify(const char *encoded, const char *password)
{
	size_t n = strlen(password);

	if (n > ANX_PASSWORD_MAX || strncmp(encoded, "$argon2id$", 10) != 0)
		return 0;
	/* argon2_verify compares in constant time. */
	return argon2id_verify(encoded, password, n) == ARGON2_OK;
}

int
anx_password_needs_rehash(const char *encoded)
{
	char want[64];

	snprintf(want, sizeof(want), "$argon2id$v=19$m=%d,t=%d,p=%d$", M_COST, T_COST, PARALLELISM);
	return strncmp(encoded, want, strlen(want)) != 0;
}
