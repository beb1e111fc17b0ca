# SPDX-License-Identifier: LGPL-2.1-or-later
# docs/local.mk - documentation installed with rekam into $(docdir): the
# architecture, the device protocol, the configuration reference and example,
# USB discovery; and the manual pages.

dist_doc_DATA = \
	docs/architecture.md \
	docs/biometric.md \
	docs/camera.md \
	docs/card.md \
	docs/card-face.md \
	docs/central-api.md \
	docs/PERFORMANCE.md \
	docs/SECURITY.md \
	docs/device-protocol.md \
	docs/faults.md \
	docs/printer.md \
	docs/pipeline.md \
	docs/report.md \
	docs/rekamd.conf.example \
	docs/rekamd.conf.md \
	docs/rekamctl-diag.schema.json \
	docs/metrics.md \
	docs/scanner.md \
	docs/station.md \
	docs/usb.md

# the pictures the pages show, kept next to them
docimagesdir = $(docdir)/images
dist_docimages_DATA = docs/images/card-face-sample.png docs/images/report-2026-10.png

dist_man_MANS = \
	docs/rekamd.8 \
	docs/rekamctl.1
