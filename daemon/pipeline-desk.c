// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * pipeline-desk.c - SOP steps 9 and 10 at the hand-over desk: HandOver()
 * gives the applicant a pickup token (eight characters, read aloud or
 * printed on the receipt; only its SHA-256 is kept), and Collect(token)
 * ends the enrollment when the token matches.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "daemon/daemon.h"
#include "daemon/dbus-error.h"
#include "daemon/dbus-object.h"
#include "daemon/log.h"
#include "daemon/pipeline.h"

#define TOKEN_LEN 8
/* No 0/O, 1/I/L: read aloud and typed without doubt. */
static const char token_chars[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

static void token_hash(const char *token, char out[65])
{
	unsigned char md[32];

	EVP_Digest(token, strlen(token), md, NULL, EVP_sha256(), NULL);
	for (size_t i = 0; i < sizeof(md); i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static DBusMessage *hand_over_authorized(struct rk_daemon *d, DBusMessage *msg,
		unsigned int roles, uid_t uid, void *data)
{
	struct rk_enrollment *e = rk_pipeline_enrollment_of(d, msg);
	unsigned char random[TOKEN_LEN];
	char token[TOKEN_LEN + 1], hash[65];
	const char *t = token;
	DBusMessage *reply;
	int err;

	(void)data;
	if (!e)
		return rk_dbus_error(msg, RK_DBUS_ERROR_NOT_FOUND, "No such enrollment");
	if (e->state != RK_ENR_ISSUED)
		return rk_pipeline_wrong_state(msg, e, "issued");
	if (RAND_bytes(random, sizeof(random)) != 1)
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "No random numbers for the token");
	for (size_t i = 0; i < TOKEN_LEN; i++)
		token[i] = token_chars[random[i] % (sizeof(token_chars) - 1)];
	token[TOKEN_LEN] = '\0';
	token_hash(token, hash);
	err = rk_enrollment_save(e, RK_ENR_AT_HANDOVER, 9, rk_roles_first(roles), uid, NULL,
		&(struct rk_enrollment_work){ .receipt = hash }, NULL, NULL);
	OPENSSL_cleanse(random, sizeof(random));
	if (err)
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "The station database cannot be "
			"written (%s); nothing changed", strerror(-err));
	reply = dbus_message_new_method_return(msg);
	if (reply && !dbus_message_append_args(reply, DBUS_TYPE_STRING, &t, DBUS_TYPE_INVALID)) {
		dbus_message_unref(reply);
		reply = NULL;
	}
	return reply;
}

DBusMessage *rk_pipeline_hand_over(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_enrollment *e = data;

	(void)conn;
	return rk_roles_authorize(rk_enrollments_data(e->set), msg, RK_ROLE_BIT(RK_ROLE_HANDOVER),
		hand_over_authorized, NULL);
}

static DBusMessage *collect_authorized(struct rk_daemon *d, DBusMessage *msg, unsigned int roles,
		uid_t uid, void *data)
{
	struct rk_enrollment *e = rk_pipeline_enrollment_of(d, msg);
	const char *token;
	char hash[65];
	int err;

	(void)data;
	if (!e)
		return rk_dbus_error(msg, RK_DBUS_ERROR_NOT_FOUND, "No such enrollment");
	if (e->state != RK_ENR_AT_HANDOVER)
		return rk_pipeline_wrong_state(msg, e, "at_handover");
	dbus_message_get_args(msg, NULL, DBUS_TYPE_STRING, &token, DBUS_TYPE_INVALID);
	token_hash(token, hash);
	if (strlen(e->receipt) != 64 || CRYPTO_memcmp(hash, e->receipt, 64) != 0)
		return rk_dbus_error(msg, RK_DBUS_ERROR_MISMATCH, "The pickup token does not match "
			"enrollment %" PRId64 "'s receipt", e->id);
	err = rk_enrollment_save(e, RK_ENR_COLLECTED, 10, rk_roles_first(roles), uid, NULL, NULL,
		NULL, NULL);
	if (err)
		return rk_dbus_error(msg, RK_DBUS_ERROR_FAILED, "The station database cannot be "
			"written (%s); nothing changed", strerror(-err));
	return dbus_message_new_method_return(msg);
}

DBusMessage *rk_pipeline_collect(DBusConnection *conn, DBusMessage *msg, void *data)
{
	struct rk_enrollment *e = data;

	(void)conn;
	return rk_roles_authorize(rk_enrollments_data(e->set), msg, RK_ROLE_BIT(RK_ROLE_HANDOVER),
		collect_authorized, NULL);
}
