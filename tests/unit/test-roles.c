// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rekam - KTP-el recording station daemon
 *
 * test-roles.c - unit tests of the role mapping (roles.c) and the [roles]
 * section of rekamd.conf (config.c): the permissive default on the session
 * bus, root only on the system bus, group membership from the system's user
 * database (the test's own user and group), empty lists, and bad values.
 */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/roles.h"
#include "tap.h"

#define ALL ((1u << RK_ROLE_N) - 1)
#define NOBODY 65534 /* a uid that is not root (and maybe not in the user database) */

static struct rk_config *load(const char *text)
{
	struct rk_config *config = NULL;
	char *errors = NULL;

	if (rk_config_load_data("t.conf", text, strlen(text), &config, &errors) < 0) {
		tap_diag("unexpected errors: %s", errors ? errors : "?");
		free(errors);
		return NULL;
	}
	return config;
}

static void refused(const char *text, const char *part, const char *what)
{
	struct rk_config *config = NULL;
	char *errors = NULL;
	int err = rk_config_load_data("t.conf", text, strlen(text), &config, &errors);

	tap_ok(err == -EINVAL && !config, "[roles] refuses %s", what);
	tap_contains(errors, part, "... saying '%s'", part);
	free(errors);
	rk_config_free(config);
}

int main(void)
{
	uid_t me = getuid();
	struct group *gr = getgrgid(getgid());
	char group[256], text[1024];
	unsigned int mine_unset = me == 0 ? ALL : 0;
	struct rk_config *config;

	if (!gr)
		tap_skip_all("the test's group %u has no name in the user database",
			(unsigned int)getgid());
	snprintf(group, sizeof(group), "%s", gr->gr_name);

	tap_is_str(rk_role_name(RK_ROLE_FRONT_OFFICE), "front-office", "role name front-office");
	tap_is_str(rk_role_name(RK_ROLE_SUPERVISOR), "supervisor", "role name supervisor");
	tap_ok(rk_role_name(RK_ROLE_N) == NULL, "no name past the last role");
	tap_is_int(rk_roles_first(RK_ROLE_BIT(RK_ROLE_SUPERVISOR) | RK_ROLE_BIT(RK_ROLE_VERIFIER)),
		RK_ROLE_VERIFIER, "a supervisor who is a verifier acts as verifier");
	tap_is_int(rk_roles_first(RK_ROLE_BIT(RK_ROLE_SUPERVISOR)), RK_ROLE_SUPERVISOR,
		"a supervisor only acts as supervisor");

	config = load("[station]\nid = t\n");
	tap_is_int(rk_roles_of_uid(config, true, me), ALL,
		"no [roles] on the session bus: every role for anyone");
	tap_is_int(rk_roles_of_uid(config, true, NOBODY), ALL, "... even a user without groups");
	tap_is_int(rk_roles_of_uid(config, false, 0), ALL,
		"no [roles] on the system bus: root has all");
	tap_is_int(rk_roles_of_uid(config, false, NOBODY), 0, "... and any other user none");
	rk_config_free(config);

	snprintf(text, sizeof(text), "[roles]\nverifier = rekam-none, %s\n"
		"front-office = rekam-none\nanalyst =\n", group);
	config = load(text);
	tap_ok(config != NULL, "a [roles] section loads");
	if (config) {
		unsigned int session = rk_roles_of_uid(config, true, me);
		unsigned int system = rk_roles_of_uid(config, false, me);

		tap_ok(session & RK_ROLE_BIT(RK_ROLE_VERIFIER),
			"a member of a listed group (%s) has the role", group);
		tap_ok(!(session & RK_ROLE_BIT(RK_ROLE_FRONT_OFFICE)),
			"a role listing other groups only is not granted");
		tap_ok(!(session & RK_ROLE_BIT(RK_ROLE_ANALYST)),
			"an empty list gives the role to nobody");
		tap_ok(session & RK_ROLE_BIT(RK_ROLE_OPERATOR),
			"a role left out is granted on the session bus");
		tap_is_int(system, RK_ROLE_BIT(RK_ROLE_VERIFIER) | (mine_unset & ~(
			RK_ROLE_BIT(RK_ROLE_FRONT_OFFICE) | RK_ROLE_BIT(RK_ROLE_ANALYST) |
			RK_ROLE_BIT(RK_ROLE_VERIFIER))),
			"on the system bus: the listed role, and those left out only for root");
		tap_ok(!(rk_roles_of_uid(config, false, NOBODY) & RK_ROLE_BIT(RK_ROLE_VERIFIER)),
			"a user outside the group is not a verifier");
		tap_ok(config->roles[RK_ROLE_VERIFIER] &&
			strcmp(config->roles[RK_ROLE_VERIFIER][0], "rekam-none") == 0 &&
			strcmp(config->roles[RK_ROLE_VERIFIER][1], group) == 0 &&
			!config->roles[RK_ROLE_VERIFIER][2], "the list is kept in order, trimmed");
	}
	rk_config_free(config);

	refused("[roles]\nverifier = rekam verifier\n", "verifier: expected a comma-separated "
		"list of group names", "a group name with a space");
	refused("[roles]\nverifier = a,,b\n", "verifier:", "an empty item");
	refused("[roles]\nverifier = a*\n", "verifier:", "a wildcard");
	refused("[roles]\ncashier = a\n", "unknown key 'cashier' in [roles]", "an unknown role");
	refused("[roles]\nverifier = a\n[roles]\n", "duplicate section [roles]",
		"a second [roles]");
	return tap_done();
}
