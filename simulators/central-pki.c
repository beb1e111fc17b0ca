// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - device simulators
 *
 * central-pki.c - rekam-sim-central's test PKI: --make-pki writes a CA, a
 * server certificate for 127.0.0.1/localhost, two station client
 * certificates, a document signer and the encryption key packets are
 * encrypted for (all P-256, PEM, keys 0600); at
 * start the TLS contexts (client certificates required, and a second one
 * whose certificate comes from a CA made up on the spot for the wrong-cert
 * fault), station signature checks and document-signer signatures.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "simulators/central-server.h"

static EVP_PKEY *new_key(void)
{
	return EVP_EC_gen("P-256");
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int r;

	X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &v3, nid, value);
	if (!ext)
		return -EINVAL;
	r = X509_add_ext(cert, ext, -1) ? 0 : -ENOMEM;
	X509_EXTENSION_free(ext);
	return r;
}

/* A certificate for key named cn, signed by issuer (NULL: self-signed).
 * kind: "ca", "server", "client" or "signer". */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
		const char *kind)
{
	X509 *cert = X509_new();
	X509_NAME *name;
	uint64_t serial;
	int r = 0;

	if (!cert)
		return NULL;
	if (RAND_bytes((unsigned char *)&serial, sizeof(serial)) != 1)
		goto fail;
	serial >>= 1;
	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), serial);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
	X509_set_pubkey(cert, key);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"ID", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
			(const unsigned char *)"rekam test PKI", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	if (!issuer) {
		issuer = cert;
		issuer_key = key;
	}
	X509_set_issuer_name(cert, X509_get_subject_name(issuer));
	if (strcmp(kind, "ca") == 0) {
		r |= add_ext(cert, issuer, NID_basic_constraints, "critical,CA:TRUE");
		r |= add_ext(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		r |= add_ext(cert, issuer, NID_basic_constraints, "critical,CA:FALSE");
		r |= add_ext(cert, issuer, NID_key_usage, strcmp(kind, "enc") == 0 ?
				"critical,keyAgreement" : "critical,digitalSignature");
	}
	if (strcmp(kind, "server") == 0) {
		r |= add_ext(cert, issuer, NID_ext_key_usage, "serverAuth");
		r |= add_ext(cert, issuer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
	} else if (strcmp(kind, "client") == 0) {
		r |= add_ext(cert, issuer, NID_ext_key_usage, "clientAuth");
	}
	r |= add_ext(cert, issuer, NID_subject_key_identifier, "hash");
	if (r || !X509_sign(cert, issuer_key, EVP_sha256()))
		goto fail;
	return cert;
fail:
	X509_free(cert);
	return NULL;
}

static int write_pem(const char *dir, const char *file, X509 *cert, EVP_PKEY *key)
{
	char path[4096];
	FILE *f;
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, key ? 0600 : 0644);
	if (fd < 0 || fchmod(fd, key ? 0600 : 0644) < 0) {
		fprintf(stderr, "rekam-sim-central: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) :
		PEM_write_X509(f, cert);
	if (fclose(f) != 0 || !ok) {
		fprintf(stderr, "rekam-sim-central: cannot write %s\n", path);
		return -EIO;
	}
	return 0;
}

/* Make a key and its certificate, write NAME.pem and NAME.key. */
static int issue(const char *dir, const char *file, const char *cn, X509 *ca, EVP_PKEY *ca_key,
		const char *kind, X509 **cert_out, EVP_PKEY **key_out)
{
	EVP_PKEY *key = new_key();
	X509 *cert = key ? make_cert(key, cn, ca, ca_key, kind) : NULL;
	char name[256];
	int r = -ENOMEM;

	if (cert) {
		snprintf(name, sizeof(name), "%s.pem", file);
		r = write_pem(dir, name, cert, NULL);
		snprintf(name, sizeof(name), "%s.key", file);
		if (r == 0)
			r = write_pem(dir, name, NULL, key);
	}
	if (r == 0 && cert_out) {
		*cert_out = cert;
		*key_out = key;
		return 0;
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

int central_pki_make(const char *dir, const char *station)
{
	EVP_PKEY *ca_key = NULL;
	X509 *ca = NULL;
	int r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "rekam-sim-central: cannot create %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	r = issue(dir, "ca", "rekam test central CA", NULL, NULL, "ca", &ca, &ca_key);
	if (r == 0)
		r = issue(dir, "server", "127.0.0.1", ca, ca_key, "server", NULL, NULL);
	if (r == 0)
		r = issue(dir, "station1", station ? station : CENTRAL_STATION_1, ca, ca_key, "client",
			NULL, NULL);
	if (r == 0)
		r = issue(dir, "station2", CENTRAL_STATION_2, ca, ca_key, "client", NULL, NULL);
	if (r == 0)
		r = issue(dir, "ds", "rekam test document signer", ca, ca_key, "signer", NULL,
				NULL);
	if (r == 0)
		r = issue(dir, "enc", "rekam test central encryption", ca, ca_key, "enc", NULL,
				NULL);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	if (r < 0)
		fprintf(stderr, "rekam-sim-central: cannot make the PKI in %s\n", dir);
	return r;
}

/* --- loading ----------------------------------------------------------------- */

static void tls_errors(const char *what)
{
	unsigned long e;
	char buf[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		sim_err("%s: %s", what, buf);
	}
}

static SSL_CTX *new_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	return ctx;
}

static SSL_CTX *load_ctx(const char *dir)
{
	char cert[4096], key[4096], ca[4096];
	SSL_CTX *ctx = new_ctx();

	if (!ctx)
		return NULL;
	snprintf(cert, sizeof(cert), "%s/server.pem", dir);
	snprintf(key, sizeof(key), "%s/server.key", dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
			SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
			SSL_CTX_check_private_key(ctx) != 1 ||
			SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		tls_errors(dir);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(ca));
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 2);
	return ctx;
}

/* The wrong-cert fault: a server certificate from a CA made up now. */
static SSL_CTX *wrong_ctx(void)
{
	EVP_PKEY *ca_key = new_key(), *key = new_key();
	X509 *ca = NULL, *cert = NULL;
	SSL_CTX *ctx = NULL;

	if (ca_key && key)
		ca = make_cert(ca_key, "rekam-sim-central rogue CA", NULL, NULL, "ca");
	if (ca)
		cert = make_cert(key, "127.0.0.1", ca, ca_key, "server");
	if (cert)
		ctx = new_ctx();
	if (ctx && (SSL_CTX_use_certificate(ctx, cert) != 1 ||
			SSL_CTX_use_PrivateKey(ctx, key) != 1)) {
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	return ctx;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < (1 << 20) &&
			fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

int central_pki_load(struct central *c)
{
	char path[4096];
	FILE *f;

	c->tls = load_ctx(c->pki_dir);
	if (!c->tls) {
		sim_err("cannot load the TLS server certificate, key and CA from %s", c->pki_dir);
		return -EINVAL;
	}
	c->tls_wrong = wrong_ctx();
	if (!c->tls_wrong)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/ds.key", c->pki_dir);
	f = fopen(path, "re");
	if (f) {
		c->ds_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/ds.pem", c->pki_dir);
	c->ds_cert_pem = read_file(path);
	if (!c->ds_key || !c->ds_cert_pem) {
		sim_err("cannot load the document signer ds.key and ds.pem from %s", c->pki_dir);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/enc.key", c->pki_dir);
	f = fopen(path, "re");
	if (f) {
		c->enc_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (!c->enc_key)
		sim_info("no encryption key %s: encrypted packets will be rejected", path);
	return 0;
}

void central_pki_free(struct central *c)
{
	SSL_CTX_free(c->tls);
	SSL_CTX_free(c->tls_wrong);
	EVP_PKEY_free(c->ds_key);
	EVP_PKEY_free(c->enc_key);
	c->enc_key = NULL;
	free(c->ds_cert_pem);
	c->tls = c->tls_wrong = NULL;
	c->ds_key = NULL;
	c->ds_cert_pem = NULL;
}

/* --- signatures ---------------------------------------------------------------- */

int central_peer_cn(SSL *ssl, char *cn, size_t len)
{
	X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;

	if (!peer)
		return -ENOENT;
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn,
			(int)len) <= 0)
		return -ENOENT;
	return 0;
}

int central_peer_verify(SSL *ssl, const void *data, size_t len, const void *sig, size_t siglen)
{
	X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
	EVP_MD_CTX *md;
	int r = -EBADMSG;

	if (!peer)
		return -ENOENT;
	md = EVP_MD_CTX_new();
	if (!md)
		return -ENOMEM;
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(peer)) == 1 &&
			EVP_DigestVerify(md, sig, siglen, data, len) == 1)
		r = 0;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return r;
}

int central_ds_sign(struct central *c, const void *data, size_t len, unsigned char **sig,
		size_t *siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = -EIO;

	*sig = NULL;
	if (!md)
		return -ENOMEM;
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, c->ds_key) == 1 &&
			EVP_DigestSign(md, NULL, siglen, data, len) == 1) {
		*sig = malloc(*siglen);
		if (*sig && EVP_DigestSign(md, *sig, siglen, data, len) == 1)
			r = 0;
	}
	if (r < 0) {
		free(*sig);
		*sig = NULL;
	}
	EVP_MD_CTX_free(md);
	return r;
}
