#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-cardreader.sh - the cardreader-pcsc plugin through
# rekamd over D-Bus, against a real pcscd with the vpcd reader and
# rekam-sim-card in it: the reader and card in Health (insert, remove, a new
# card), the self-test, the jobs uid, personalize (a sample blob from
# tests/data/make-card-blob) and read (files as artifacts, compared with the
# blob), and every refusal and fault: a locked card, a wrong key, a card
# that fails authentication, a torn write (the card left detectably
# incomplete), a write failure, the wrong card, a bad or oversized blob, no
# card, a card that stops answering (the APDU watchdog), a job that runs out
# of time and one that the client cancels (stopped between APDUs; the helper
# tests/integration/card-cancel holds the claim), and pcscd going away and
# coming back.
#
# Starts pcscd after its turn on /tmp/rekam-pcscd.lock (require_pcscd).
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools python3 busctl od
require_pcscd
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
REKAM_SIM_CARD=${REKAM_SIM_CARD:-$top_builddir/simulators/rekam-sim-card}
MAKE_BLOB=$top_builddir/tests/data/make-card-blob
[ -x "$REKAM_SIM_CARD" ] || bail "rekam-sim-card is not built at $REKAM_SIM_CARD"
[ -x "$MAKE_BLOB" ] || bail "make-card-blob is not built at $MAKE_BLOB"
[ -x "$REKAMCTL" ] || bail "rekamctl is not built at $REKAMCTL"

KEY=00112233445566778899aabbccddeeff
CTL=$REKAM_TMP/card.ctl
STATE=$REKAM_TMP/card.state
DEV=$REKAM_PATH/devices/cardreader0
BLOB=$REKAM_TMP/blob

start_sim() {
	# shellcheck disable=SC2046
	$(sim_cmd) "$REKAM_SIM_CARD" --vpcd "127.0.0.1:$VPCD_PORT" --socket "$REKAM_TMP/card.sock" \
		--control "$CTL" --key "$KEY" --state "$STATE" --seed 7 --verbose "$@" \
		2>>"$REKAM_TMP/sim.log" &
	SIM_PID=$!
	wait_for 20 test -S "$CTL" || bail "rekam-sim-card did not start"
}

device_prop() { # a string property of the card reader
	busctl --user get-property "$REKAM_NAME" "$DEV" "$REKAM_NAME.Device" "$1" 2>/dev/null |
		sed -n 's/^s "\(.*\)"$/\1/p'
}

health() { # health KEY: one Health value of the card reader ("" when absent)
	busctl --user --json=short get-property "$REKAM_NAME" "$DEV" "$REKAM_NAME.Device" Health \
		2>/dev/null | python3 -c 'import json,sys
d = json.load(sys.stdin)["data"].get(sys.argv[1])
print("" if d is None else str(d["data"]).lower() if d["type"] == "b" else d["data"])' "$1"
}

health_is() { [ "$(health "$1")" = "$2" ]; }

card_diag() { # what the card, pcscd and rekamd last said: after a failed check of the card
	diag "the card simulator: $(sim_ctl status)"
	tail -n 12 "$REKAM_TMP/sim.log" | sed 's/^/#   sim: /'
	tail -n 6 "$REKAM_TMP/pcscd.log" | sed 's/^/#   pcscd: /'
	grep 'card' "$REKAM_TMP/rekamd.log" 2>/dev/null | tail -n 8 | sed 's/^/#   rekamd: /'
}

json_get() { # json_get EXPR: evaluate EXPR on the JSON document in $OUT (as d)
	printf '%s' "$OUT" | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

sim_uid() { sim_ctl status | sed -n 's/.* uid=\([0-9A-F]*\).*/\1/p'; }
sim_field() { sim_ctl status | sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p"; }

job() { # job ACTION ARGS...: rekamctl --json job card ACTION ARGS... into RC, OUT, ERR
	local action=$1
	shift
	run_ctl --session --json job card "$action" "$@"
}

new_card() { # a new blank card, and rekamd has seen it
	local uid
	uid=$(sim_ctl new-card | sed -n 's/^OK uid=//p')
	wait_for 15 health_is ChipUid "$uid" || diag "rekamd did not see the new card $uid"
	wait_for 5 health_is CardState blank || diag "the new card is not shown blank"
}

# --- the station ------------------------------------------------------------------
"$MAKE_BLOB" -o "$BLOB" || bail "make-card-blob failed"
start_pcscd
start_sim
start_bus
write_config "[device card]" "plugin = cardreader-pcsc" "connection = pcsc:Virtual PCD" \
	"key = $KEY"
start_rekamd --session --state-dir "$REKAM_TMP/state" --config "$REKAM_TMP/rekamd.conf" \
	--plugin-dir "${REKAM_PLUGIN_DIR:-$top_builddir/plugins/built}"
device_idle() { [ "$(device_prop State)" = idle ]; }
check "the card reader becomes idle" wait_for 15 device_idle
is "$(device_prop Model)" "Virtual PCD 00 00" "Model: the reader pcsc:Virtual PCD matched"
# Serial and Firmware come from SCardGetAttrib (SCARD_ATTR_VENDOR_IFD_SERIAL_NO and
# _VERSION); vpcd's driver answers neither, so both are there and empty, not an error
is "$(busctl --user get-property "$REKAM_NAME" "$DEV" "$REKAM_NAME.Device" Serial Firmware \
	2>&1)" 's ""
s ""' "Serial and Firmware: empty, as vpcd gives neither"
is "$(device_prop State)" idle "... and the reader is idle all the same"
is "$(health Reader)" "Virtual PCD 00 00" "Health Reader"
is "$(health ReaderPresent)" "true" "Health ReaderPresent"
check "Health CardPresent" wait_for 30 health_is CardPresent true
UID1=$(sim_uid)
check "Health ChipUid is the card's UID ($UID1)" wait_for 30 health_is ChipUid "$UID1"
is "$(health CardState)" "blank" "Health CardState: blank"
is "$(health Atr)" "3B88800152454B414D2D494479" "Health Atr"

# --- self-test and uid ------------------------------------------------------------------
run_ctl --session --json selftest card
is "$RC" 0 "selftest passes"
like "$OUT" '"pcsc-service"' "... step pcsc-service"
like "$OUT" "KTP-el application answers; UID $UID1, blank" "... step select reads the chip"
job uid
is "$RC" 0 "job uid"
is "$(json_get 'd["results"]["ChipUid"], d["results"]["CardState"]')" "$UID1 blank" \
	"... ChipUid and CardState"
job dance
like "$ERR" "NotSupported.*no job 'dance'" "an unknown job: NotSupported"

# --- bad input changes nothing ------------------------------------------------------------
writes=$(sim_field writes)
printf 'RKPB\001\005\000\000\001\001\000\000\000\077' >"$REKAM_TMP/short.blob"
job personalize --data blob="$REKAM_TMP/short.blob"
like "$ERR" "InvalidArguments.*ends inside DG1" "a truncated blob: InvalidArguments, where"
job personalize
like "$ERR" "InvalidArguments.*needs the option blob" "no blob: InvalidArguments"
job personalize --data blob="$BLOB" --option key=0011
like "$ERR" "InvalidArguments.*32 hex digits" "a short key: InvalidArguments"
"$MAKE_BLOB" --size DG1=2000 -o "$REKAM_TMP/big.blob"
job personalize --data blob="$REKAM_TMP/big.blob"
like "$ERR" "blob-too-big: DG1 of the blob has 2000 bytes; the chip's file holds 1024" \
	"a DG1 larger than the chip's file: refused before writing"
job personalize --data blob="$BLOB" --option expect-uid=52AAAAAAAAAAAA
like "$ERR" "DeviceError.*wrong-card: the card in the reader has UID $UID1, not 52AAAAAAAAAAAA" \
	"expect-uid of another card: wrong-card"
is "$(sim_field writes) $(sim_field lifecycle)" "$writes blank" "... and the card was not written"

# --- wrong keys ------------------------------------------------------------------------
job personalize --data blob="$BLOB" --option key=ffeeddccbbaa99887766554433221100
like "$ERR" "DeviceError.*auth-failed: the card refused the personalization key" \
	"another key: auth-failed"
is "$(sim_ctl wrong-key)" "OK the next MUTUAL AUTHENTICATE fails with 6300" "the card's wrong-key"
job personalize --data blob="$BLOB"
like "$ERR" "auth-failed" "... auth-failed as well"
is "$(sim_field writes) $(sim_field lifecycle)" "$writes blank" "nothing was written"
like "$(device_prop LastError)" "^auth-failed: " "LastError keeps the last failure"

# --- personalize, verify, read back -------------------------------------------------------
job personalize --data blob="$BLOB" --option expect-uid="$UID1"
is "$RC" 0 "personalize a blank card with the sample blob"
is "$(json_get 'd["results"]["Verified"], d["results"]["ChipUid"], d["results"]["CardState"]')" \
	"True $UID1 locked" "... Verified, the UID, locked"
is "$(json_get 'd["results"]["BytesWritten"]')" "$(($(stat -c %s "$BLOB") - 38))" \
	"... every byte of the five files written"
is "$(sim_field lifecycle)" "locked" "the chip is locked"
check "Health CardState: locked" wait_for 5 health_is CardState locked
dg1=$(python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); n=int.from_bytes(b[10:14],"big"); print(b[14:14+n].hex())' "$BLOB")
check "the chip holds DG1 of the blob (state file)" grep -q "^file 0101 $dg1" "$STATE"

job read --data blob="$BLOB" --save="$REKAM_TMP/read"
is "$RC" 0 "read the card back"
is "$(json_get 'd["results"]["Complete"], d["results"]["Matches"], len(d["artifacts"])')" \
	"True True 5" "... complete, matching the blob, five files"
is "$(json_get '" ".join(a["Kind"] + ":" + str(a["Size"]) for a in d["artifacts"])')" \
	"chip-dg1:1024 chip-dg2:16384 chip-dg3:4096 chip-dg7:8192 chip-ef-sod:4096" \
	"... the chip's files whole"
is "$(head -c $((${#dg1} / 2)) "$REKAM_TMP/read/chip-dg1.bin" | od -An -tx1 -v | tr -d ' \n')" \
	"$dg1" "the saved DG1 starts with the blob's DG1"
"$MAKE_BLOB" --seed 99 -o "$REKAM_TMP/other.blob"
job read --data blob="$REKAM_TMP/other.blob"
is "$(json_get 'd["results"]["Matches"], d["results"]["Mismatch"]')" "False DG2" \
	"read with another blob: Matches false, the first file that differs"

# --- a locked card refuses writes -------------------------------------------------------
writes=$(sim_field writes)
job personalize --data blob="$BLOB"
like "$ERR" "DeviceError.*card-locked: the card $UID1 is locked" "personalize a locked card: card-locked"
is "$(sim_field writes)" "$writes" "... nothing written"

# --- removal and insertion in Health ------------------------------------------------------
is "$(sim_ctl remove)" "OK removed" "remove the card"
check "Health CardPresent false" wait_for 30 health_is CardPresent false
is "$(health CardState) $(health ChipUid)" "absent " "... CardState absent, no ChipUid"
job uid
like "$ERR" "no-card: there is no card in the reader" "uid without a card: no-card"
run_ctl --session --json selftest card
is "$RC" 0 "selftest without a card passes (an encoder is empty between cards)"
like "$OUT" "no card in the reader \(the chip is checked when one is in\)" "... saying so"
is "$(sim_ctl insert)" "OK inserted" "insert it again"
check "Health CardPresent true" wait_for 30 health_is CardPresent true
check "... the same card again" wait_for 30 health_is ChipUid "$UID1"
new_card
UID2=$(sim_uid)
ok "$([ "$UID2" != "$UID1" ]; echo $?)" "new-card: Health shows another UID ($UID2), blank"

# --- a torn write leaves the card detectably incomplete ------------------------------------
like "$(sim_ctl tear)" "^OK" "tear: the next UPDATE BINARY tears the card out"
job personalize --data blob="$BLOB"
like "$ERR" "DeviceError.*card-removed: the card was taken out while DG1 was being written \(byte 0\); it is incomplete" \
	"personalize: card-removed, incomplete"
like "$(device_prop LastError)" "^card-removed: " "... in LastError"
check "Health CardPresent false" wait_for 30 health_is CardPresent false
sim_ctl insert >/dev/null
# pcscd 1.9.9 with vpcd now and then misses a card that comes back at once
# after an exchange torn under it (it sends the torn card's power-off to the
# new connection and polls no more; seen under valgrind's load): out and in
# once more, as an operator would, saying so
if ! wait_for 15 health_is CardPresent true; then
	diag "the torn card was not seen back within 15 s: out and in once more"
	card_diag
	sim_ctl remove >/dev/null
	wait_for 30 health_is CardPresent false
	sim_ctl insert >/dev/null
fi
check "the torn card is back" wait_for 30 health_is CardPresent true || card_diag
check "... its lifecycle still blank (the torn write never completed)" \
	wait_for 30 health_is CardState blank
job read --data blob="$BLOB"
is "$(json_get 'd["results"]["Complete"], d["results"]["Empty"], d["results"]["Matches"]')" \
	"False False False" "read: not complete, not empty, not matching: detectably incomplete"

# --- personalized but not locked: card-not-blank ---------------------------------------------
new_card
job personalize --data blob="$BLOB" --option lock=false
is "$(json_get 'd["results"]["Verified"], d["results"]["CardState"]')" "True personalized" \
	"personalize with lock=false: verified, left personalized"
job personalize --data blob="$BLOB"
like "$ERR" "card-not-blank: the card $(sim_uid) is already written but not locked" \
	"personalize it again: card-not-blank (count it spoiled)"

# --- a write failure ------------------------------------------------------------------------
new_card
like "$(sim_ctl "fail-write-after 100")" "^OK" "fail-write-after 100"
job personalize --data blob="$BLOB"
like "$ERR" "write-failed: the chip's memory failed writing DG1 at byte 0 \(6581\)" \
	"personalize: write-failed"
job read
is "$(json_get 'd["results"]["Complete"], d["results"]["Empty"]')" "False False" \
	"read: the card is left written in part, not complete"

# --- the watchdog: a card that stops answering ----------------------------------------------
new_card
kill -STOP "$SIM_PID"
job personalize --data blob="$BLOB"
kill -CONT "$SIM_PID"
like "$ERR" "Timeout.*card-timeout: the card did not answer within 3000 ms" \
	"a card that stops answering: Timeout, card-timeout"
check "the reader is idle again" wait_for 15 device_idle

# --- a job that runs out of time is cancelled between APDUs -----------------------------------
new_card
job personalize --data blob="$BLOB" --option timeout=20
like "$ERR" "Timeout" "personalize with timeout=20 ms: Timeout"
check "the reader is idle again" wait_for 15 device_idle
job uid
is "$RC" 0 "... and answers the next job"

# --- Cancel from the client that holds the claim --------------------------------------------
new_card
out=$("$top_builddir/tests/integration/card-cancel" "$DEV" "$BLOB")
like "$out" "^id.rekam.Station1.Error.Cancelled: " "Device.Cancel while the card is written: Cancelled"
check "the reader is idle again" wait_for 15 device_idle
is "$(sim_field lifecycle)" "personalized" "... the card was written in part, not locked"
job read
is "$(json_get 'd["results"]["Complete"], d["results"]["Empty"]')" "False False" \
	"read: the cancelled card is written in part, not complete"

# --- pcscd goes away and comes back ----------------------------------------------------------
stop_pcscd
device_absent() { [ "$(device_prop State)" = absent ]; }
check "pcscd stopped: the reader is absent" wait_for 15 device_absent
is "$(health ReaderPresent)" "false" "Health ReaderPresent false"
start_pcscd
check "pcscd back: the reader is idle again" wait_for 30 device_idle
check "... and sees the card" wait_for 20 health_is CardPresent true

stop_rekamd
is "$REKAMD_STATUS" 0 "rekamd stops cleanly"
if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	is "$(cat "$REKAM_TMP"/valgrind.*.log 2>/dev/null)" "" "valgrind found nothing in rekamd"
fi
check_ctl_valgrind
done_testing
