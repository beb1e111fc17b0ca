# SPDX-License-Identifier: LGPL-2.1-or-later
# docs/local.mk - documentation installed with rekam: the example
# configuration and its reference into $(docdir), and the manual pages.

dist_doc_DATA = \
	docs/architecture.md \
	docs/rekamd.conf.example \
	docs/rekamd.conf.md

dist_man_MANS = \
	docs/rekamd.8 \
	docs/rekamctl.1
