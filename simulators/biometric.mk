# SPDX-License-Identifier: LGPL-2.1-or-later
# simulators/biometric.mk - rekam-sim-biometric, a MOSIP SBI device service
# (slap fingerprint scanner and iris camera) on 127.0.0.1, and its curl test.
# Included from simulators/local.mk (it uses $(sim_cflags) from there).

bin_PROGRAMS += simulators/rekam-sim-biometric
simulators_rekam_sim_biometric_SOURCES = \
	simulators/rekam-sim-biometric.c \
	simulators/biometric.h \
	simulators/biometric-http.c \
	simulators/biometric-sbi.c \
	simulators/biometric-jws.c \
	simulators/biometric-image.c
simulators_rekam_sim_biometric_CFLAGS = $(sim_cflags) $(JANSSON_CFLAGS)
simulators_rekam_sim_biometric_LDADD = simulators/lib/librekam-sim.la $(LIBEVENT_LIBS) \
	$(OPENSSL_LIBS) $(JANSSON_LIBS) -lm

TESTS += tests/integration/test-sim-biometric.sh
EXTRA_DIST += tests/integration/test-sim-biometric.sh

# the test keeps one fingerprint and one iris image for a person to look at
clean-local: clean-biometric-samples
clean-biometric-samples:
	rm -rf tests/biometric-samples
.PHONY: clean-biometric-samples
