#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tests/integration/test-sim-card.sh - rekam-sim-card in a real pcscd: a
# private pcscd (pcscd -f -c DIR) with the vpcd reader on a free port, the
# simulated chip connected to it, and opensc-tool sending the APDUs of
# docs/card.md: ATR, SELECT, READ BINARY, mutual authentication computed here
# with openssl, UPDATE BINARY, lock, the state file across a restart, card
# removal and insertion, and the write faults. Extended length and command
# chaining go through the simulator's direct --socket endpoint (and through
# pcscd with scriptor when it is installed).
#
# pcscd's socket is fixed at /run/pcscd/pcscd.comm, so there is one pcscd per
# machine: when one is already running (or systemd's pcscd.socket holds the
# path), the test is skipped rather than disturbing it.
. "${REKAM_TEST_LIB:-$(dirname "$0")/lib.sh}"

require_tools openssl od
require_pcscd

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
REKAM_SIM_CARD=${REKAM_SIM_CARD:-$top_builddir/simulators/rekam-sim-card}
[ -x "$REKAM_SIM_CARD" ] || bail "rekam-sim-card is not built at $REKAM_SIM_CARD"

KEY=00112233445566778899aabbccddeeff
AID=F052454B414D01
CTL=$REKAM_TMP/card.ctl
SOCK=$REKAM_TMP/card.sock
STATE=$REKAM_TMP/card.state
PORT=$VPCD_PORT

# --- processes ---------------------------------------------------------------------

start_sim() { # start_sim [ARGS...]: wait for the control socket
	# shellcheck disable=SC2046
	$(sim_cmd) "$REKAM_SIM_CARD" --vpcd "127.0.0.1:$PORT" --socket "$SOCK" --control "$CTL" \
		--key "$KEY" --state "$STATE" --seed 7 "$@" 2>>"$REKAM_TMP/sim.log" &
	SIM_PID=$!
	wait_for 20 test -S "$CTL" || bail "rekam-sim-card did not start"
}

# --- APDUs through pcscd ---------------------------------------------------------------

# apdu HEX...: one opensc-tool session on reader 0; one line per response,
# "SW DATA" in lower-case hex (DATA empty when there is none).
apdu() {
	local args=() a
	for a in "$@"; do
		args+=(-s "$a")
	done
	opensc-tool -r 0 "${args[@]}" 2>&1 | awk '
		function flush() { if (have) print tolower(sw " " data); have = 0; data = "" }
		/^Sending:/ { flush(); indata = 0; next }
		/^Received \(SW1=0x/ {
			flush(); have = 1
			sw = substr($0, 17, 2) substr($0, 27, 2)
			indata = ($0 ~ /:$/); next
		}
		indata { n = int(length($0) / 4); h = substr($0, 1, 3 * n); gsub(/ /, "", h); data = data h }
		END { flush() }' | sed 's/ $//'
}

hex_bytes() { # hex on stdin -> bytes on stdout
	local h
	h=$(tr -d ' \n')
	# shellcheck disable=SC2059
	printf "$(printf '%s' "$h" | sed 's/../\\x&/g')"
}

bytes_hex() {
	od -An -tx1 -v | tr -d ' \n'
}

aes() { # aes enc|dec HEX: one AES-128-ECB block with the personalization key
	local d=
	[ "$1" = dec ] && d=-d
	printf '%s' "$2" | hex_bytes | openssl enc -aes-128-ecb $d -K "$KEY" -nopad | bytes_hex
}

RND_IFD=0102030405060708
# auth_run HEX...: GET CHALLENGE in one session, then MUTUAL AUTHENTICATE, SELECT
# of the application and HEX... in the next one; their answers on stdout
# (first the authentication's), the card's challenge in $REKAM_TMP/auth.icc.
auth_run() {
	local icc crypt
	icc=$(apdu 0084000008 | sed -n 's/^9000 //p')
	[ ${#icc} -eq 16 ] || { echo "no challenge"; return 1; }
	crypt=$(aes enc "$RND_IFD$icc")
	apdu "0082000010${crypt}10" "00A4040C07$AID" "$@" >"$REKAM_TMP/auth.out"
	printf '%s' "$icc" >"$REKAM_TMP/auth.icc"
	cat "$REKAM_TMP/auth.out"
}

card_present() {
	opensc-tool -r 0 -a >/dev/null 2>&1
}

card_absent() {
	opensc-tool -r 0 -a 2>&1 | grep -q "Card not present"
}

uid_now() { # the UID of the card in reader 0
	apdu FFCA000000 | sed -n 's/^9000 //p'
}

new_uid_seen() { # another card than $CARD_UID is in reader 0
	local u
	u=$(uid_now)
	[ -n "$u" ] && [ "$u" != "$CARD_UID" ]
}

# --- APDUs on the direct socket (vpcd's framing, the test plays vpcd) -----------------

frame() { # frame HEX: 2-byte length + payload, as hex
	printf '%04x%s' $((${#1} / 2)) "$1"
}

direct() { # direct HEX...: one session; "SW DATA" per response, like apdu
	local a out=
	for a in "$@"; do
		out=$out$(frame "$a")
	done
	printf '%s' "$out" | hex_bytes | socat -t 5 - "UNIX-CONNECT:$SOCK" | bytes_hex |
		awk '{ s = $0; while (length(s) >= 4) {
			n = 2 * (("0x" substr(s, 1, 4)) + 0); p = substr(s, 5, n); s = substr(s, 5 + n)
			if (n >= 4) print substr(p, n - 3) " " substr(p, 1, n - 4); else print "empty " p } }' |
		sed 's/ $//'
}

zeros() { # zeros N: N zero bytes as hex
	head -c "$1" /dev/zero | bytes_hex
}

pattern() { # pattern N BYTE: N bytes of BYTE (hex)
	head -c "$1" /dev/zero | tr '\0' "\\$(printf '%03o' "0x$2")" | bytes_hex
}

# --- command line ------------------------------------------------------------------------
out=$("$REKAM_SIM_CARD" --help)
is "$?" 0 "--help exits 0"
for word in --vpcd --key --state --card --removed --socket --control --seed "Exit status" \
	insert remove new-card fail-write-after tear wrong-key lock "MUTUAL AUTHENTICATE" 6982; do
	like "$out" "$word" "--help documents $word"
done
like "$("$REKAM_SIM_CARD" --version)" "^rekam-sim-card [0-9]+\.[0-9]+\.[0-9]+$" "--version"
"$REKAM_SIM_CARD" --socket "$SOCK" --control "$CTL" --key 0011 2>"$REKAM_TMP/err"
is "$?" 64 "a short --key: exit 64"
"$REKAM_SIM_CARD" --socket "$SOCK" --control "$CTL" --vpcd localhost 2>"$REKAM_TMP/err"
is "$?" 64 "--vpcd without a port: exit 64"
echo "not a card" >"$REKAM_TMP/bad.state"
"$REKAM_SIM_CARD" --socket "$SOCK" --control "$CTL" --vpcd off \
	--state "$REKAM_TMP/bad.state" 2>"$REKAM_TMP/err"
is "$?" 70 "a malformed state file: exit 70"
like "$(cat "$REKAM_TMP/err")" "not a rekam-sim-card state file" "... saying so"

# --- pcscd with the vpcd reader on our port ---------------------------------------------
start_pcscd
diag "pcscd $PCSCD_PID, vpcd on port $PORT"

start_sim
check "pcscd sees the card" wait_for 15 card_present
is "$(opensc-tool -r 0 -a 2>&1)" "3b:88:80:01:52:45:4b:41:4d:2d:49:44:79" "the ATR"
like "$(opensc-tool -l 2>&1)" "0 +Yes +Virtual PCD 00 00" "opensc-tool -l: a card in reader 0"

# --- reading a blank card ------------------------------------------------------------------
out=$(apdu "00A4040C07$AID" 00A4020C020101 00B0000010 00B0810008 FFCA000000 80CA000100)
is "$(sed -n 1p <<<"$out")" "9000" "SELECT the application: 9000"
is "$(sed -n 2p <<<"$out")" "9000" "SELECT DG1 (0101): 9000"
is "$(sed -n 3p <<<"$out")" "9000 $(zeros 16)" "READ BINARY of DG1 on a blank card: zeros"
is "$(sed -n 4p <<<"$out")" "9000 $(zeros 8)" "READ BINARY with the short EF id 01"
CARD_UID=$(sed -n '5s/^9000 //p' <<<"$out")
like "$CARD_UID" "^52[0-9a-f]{12}$" "GET DATA (FF CA): a 7-byte UID"
like "$(sim_ctl status)" "uid=$(tr a-f A-F <<<"$CARD_UID")" "... the one the control status shows"
is "$(sed -n 6p <<<"$out")" "9000 00" "lifecycle: blank (00)"

out=$(apdu "00A4040007$AID" 00A4000C023F00 00A40204020102 00A4020C020999 00A4080C020101 \
	"00A4040C05A000000001")
is "$(sed -n 1p <<<"$out")" "9000 6f0984$(printf '07%s' "$AID" | tr A-F a-f)" "SELECT with FCI: 6F 84 AID"
is "$(sed -n 2p <<<"$out")" "9000" "SELECT the MF (3F00)"
is "$(sed -n 3p <<<"$out")" "6a82" "an EF outside the application: 6A82"
out=$(apdu "00A4040C07$AID" 00A40204020102 00A4020C020999 00A4080C020101 "00A4040C05A000000001" \
	00B0400001 00B0810000 00C0000000 A0B0000010 00B0000001 0084000004)
is "$(sed -n 2p <<<"$out")" "9000 620e8002400082010183020102880102" \
	"SELECT DG2 with FCP: size 16384, id 0102, short id 02"
is "$(sed -n 3p <<<"$out")" "6a82" "SELECT of a missing file: 6A82"
is "$(sed -n 4p <<<"$out")" "6a86" "SELECT with P1 08: 6A86"
is "$(sed -n 5p <<<"$out")" "6a82" "SELECT of another AID: 6A82"
is "$(sed -n 6p <<<"$out")" "6b00" "READ BINARY past DG2's end (offset 0x4000): 6B00"
is "$(sed -n 7p <<<"$out")" "9000 $(zeros 256)" "READ BINARY Le 00: 256 bytes"
is "$(sed -n 8p <<<"$out")" "6d00" "an unknown INS: 6D00"
is "$(sed -n 9p <<<"$out")" "6e00" "an unknown CLA: 6E00"
is "$(sed -n 10p <<<"$out")" "9000 00" "a failed SELECT keeps the current EF"
is "$(sed -n 11p <<<"$out")" "6700" "GET CHALLENGE for 4 bytes: 6700"

# --- writing needs mutual authentication --------------------------------------------------
out=$(apdu "00A4040C07$AID" 00A4020C020101 00D6000004CAFEBABE 80100000)
is "$(sed -n 3p <<<"$out")" "6982" "UPDATE BINARY without authentication: 6982"
is "$(sed -n 4p <<<"$out")" "6982" "LOCK without authentication: 6982"
is "$(apdu "0082000010$(zeros 16)10")" "6985" "MUTUAL AUTHENTICATE without a challenge: 6985"

DG1=$(printf 'NIK=6305014107900001;NAMA=SITI AMINAH;LAHIR=BINUANG,01-07-1990' | bytes_hex)
N=$((${#DG1} / 2))
out=$(auth_run 00A4020C020101 "00D60000$(printf %02x "$N")$DG1" "00B00000$(printf %02x "$N")" \
	80CA000100)
like "$(sed -n 1p <<<"$out")" "^9000 [0-9a-f]{32}$" "MUTUAL AUTHENTICATE: 9000 and 16 bytes"
is "$(aes dec "$(sed -n '1s/^9000 //p' <<<"$out")")" "$(cat "$REKAM_TMP/auth.icc")$RND_IFD" "... the card's answer is E(K, rnd.icc || rnd.ifd)"
is "$(sed -n 4p <<<"$out")" "9000" "UPDATE BINARY after authentication: 9000"
is "$(sed -n 5p <<<"$out")" "9000 $DG1" "READ BINARY gives the bytes back"
is "$(sed -n 6p <<<"$out")" "9000 01" "lifecycle: personalized (01)"
like "$(sim_ctl status)" "lifecycle=personalized" "... in the control status too"
check "the state file holds DG1" grep -q "^file 0101 $DG1" "$STATE"

# chaining through pcscd: two chained parts, written at the offset of the chain
out=$(auth_run 00A4020C020107 10D6010004A1A2A3A4 00D6010004B1B2B3B4 00B0010008 \
	10D6020002C1C2 00B0020002)
is "$(sed -n 4p <<<"$out")" "9000" "UPDATE BINARY chained (CLA 10): 9000 for the first part"
is "$(sed -n 5p <<<"$out")" "9000" "... and for the last"
is "$(sed -n 6p <<<"$out")" "9000 a1a2a3a4b1b2b3b4" "the chain is written as one"
is "$(sed -n 8p <<<"$out")" "6883" "another command inside a chain: 6883"

if command -v scriptor >/dev/null 2>&1; then
	big=$(pattern 600 5a)
	icc=$(apdu 0084000008 | sed -n 's/^9000 //p')
	out=$(printf '%s\n' "0082000010$(aes enc "$RND_IFD$icc")10" "00A4040C07$AID" \
		00A4020C020102 "00D6000000$(printf %04x 600)$big" "00B00000000258" |
		timeout 20 scriptor -r "Virtual PCD 00 00" 2>&1 | tr -d ' \n' | tr A-F a-f)
	like "$out" "<${big}9000" "extended length UPDATE and READ of 600 bytes through pcscd (scriptor)"
fi

# --- control commands -----------------------------------------------------------------------
out=$(sim_ctl help)
for c in insert remove new-card "fail-write-after N" tear wrong-key lock unplug "fail CODE"; do
	like "$out" "$c" "help lists $c"
done
like "$(sim_ctl status)" "^OK plugged=yes .* card=inserted vpcd=connected number=1 uid=[0-9A-F]{14} lifecycle=personalized powered=yes authenticated=(yes|no) apdus=[0-9]+ writes=[0-9]+ saves=[0-9]+ fail-write-after=no tear=no wrong-key=no$" \
	"status adds the card's key=value pairs"
is "$(sim_ctl "fail-write-after x")" "ERR fail-write-after wants a byte count from 0 to 65536" \
	"fail-write-after wants a number"

# --- the write faults -----------------------------------------------------------------------
like "$(sim_ctl "fail-write-after 2")" "^OK the next UPDATE BINARY writes 2 bytes" "fail-write-after 2"
out=$(auth_run 00A4020C020103 00D6000004D1D2D3D4 00B0000004)
is "$(sed -n 4p <<<"$out")" "6581" "the write fails with 6581"
is "$(sed -n 5p <<<"$out")" "9000 d1d20000" "... after 2 bytes"

is "$(sim_ctl wrong-key)" "OK the next MUTUAL AUTHENTICATE fails with 6300" "wrong-key"
out=$(auth_run 00A4020C020103 00D6000001EE)
is "$(sed -n 1p <<<"$out")" "6300" "authentication with the wrong key: 6300"
is "$(sed -n 4p <<<"$out")" "6982" "... and writes stay refused"

like "$(sim_ctl tear)" "^OK the next UPDATE BINARY writes half" "tear"
auth_run 00A4020C020103 00D6000004E1E2E3E4 >/dev/null
like "$(sim_ctl status)" "card=removed" "the card is torn out during the write"
check "pcscd sees the card go" wait_for 10 card_absent
is "$(sim_ctl insert)" "OK inserted" "insert"
check "the card is back" wait_for 15 card_present
is "$(apdu "00A4040C07$AID" 00B0830004 | sed -n 2p)" "9000 e1e20000" \
	"the torn write left half of its bytes"

# --- locking ----------------------------------------------------------------------------------
out=$(auth_run 80100000 00A4020C020101 00D6000001FF 80CA000100)
is "$(sed -n 3p <<<"$out")" "9000" "LOCK after authentication: 9000"
is "$(sed -n 5p <<<"$out")" "6985" "UPDATE BINARY on a locked card: 6985"
is "$(sed -n 6p <<<"$out")" "9000 02" "lifecycle: locked (02)"
out=$(auth_run 00A4020C020101 00D6000001FF)
is "$(sed -n 4p <<<"$out")" "6985" "authenticated again, still 6985"

# --- the state file survives a restart -------------------------------------------------------
stop_sim
is "$SIM_STATUS" 0 "SIGTERM stops the simulator with 0"
check "pcscd sees no card while it is stopped" wait_for 10 card_absent
start_sim
check "the card is back after a restart" wait_for 15 card_present
out=$(apdu "00A4040C07$AID" FFCA000000 "00B08100$(printf %02x "$N")" 80CA000100)
is "$(sed -n 2p <<<"$out")" "9000 $CARD_UID" "the same UID"
is "$(sed -n 3p <<<"$out")" "9000 $DG1" "the same DG1"
is "$(sed -n 4p <<<"$out")" "9000 02" "still locked"

# --- remove and insert ----------------------------------------------------------------------
is "$(sim_ctl remove)" "OK removed" "remove"
check "opensc-tool reports no card" wait_for 10 card_absent
like "$(opensc-tool -l 2>&1)" "0 +No +Virtual PCD 00 00" "opensc-tool -l: no card in reader 0"
is "$(sim_ctl remove)" "ERR the card is already removed" "remove twice"
is "$(sim_ctl insert)" "OK inserted" "insert"
check "the card is back" wait_for 15 card_present
is "$(sim_ctl insert)" "ERR the card is already inserted" "insert twice"

# --- a new blank card ---------------------------------------------------------------------------
like "$(sim_ctl new-card)" "^OK uid=52[0-9A-F]{12}$" "new-card"
check "the new card is in the reader" wait_for 15 new_uid_seen
out=$(apdu "00A4040C07$AID" FFCA000000 80CA000100 00B0810010)
UID2=$(sed -n '2s/^9000 //p' <<<"$out")
like "$UID2" "^52[0-9a-f]{12}$" "the new card has a UID"
ok "$([ "$UID2" != "$CARD_UID" ]; echo $?)" "... another one ($UID2)"
is "$(sed -n 3p <<<"$out")" "9000 00" "... and is blank"
is "$(sed -n 4p <<<"$out")" "9000 $(zeros 16)" "... with empty files"
is "$(sim_ctl lock)" "OK lifecycle=locked" "lock from the control socket"
is "$(apdu "00A4040C07$AID" 80CA000100 | sed -n 2p)" "9000 02" "... locks the card"

# --- pcscd restarts: the card reconnects --------------------------------------------------
stop_pcscd
wait_for 5 sh -c "echo status | socat - UNIX-CONNECT:$CTL | grep -q vpcd=connecting" ||
	diag "the simulator did not notice that vpcd went away"
like "$(sim_ctl status)" "vpcd=connecting" "pcscd stopped: the simulator waits for vpcd"
start_pcscd
check "pcscd restarted: the card is back" wait_for 15 card_present
like "$(sim_ctl status)" "vpcd=connected" "... connected again"

# --- stopping ----------------------------------------------------------------------------
stop_sim
is "$SIM_STATUS" 0 "SIGTERM stops it with 0"
check_fails "... removing the control socket" test -e "$CTL"
check "... keeping the state file" test -s "$STATE"

# --- the direct endpoint: vpcd's framing without pcscd (a second card) ---------------------
STATE=$REKAM_TMP/direct.state
start_sim --vpcd off --removed
like "$(sim_ctl status)" "card=removed vpcd=off" "--vpcd off --removed: no card, no vpcd link"
is "$(direct 04)" "empty" "... get ATR: an empty answer"
is "$(sim_ctl insert)" "OK inserted" "insert"
like "$(sim_ctl status)" "card=inserted vpcd=off" "... only the direct endpoint"
out=$(direct 01 04 "00A4040C07$AID" 00A4020C020102 0084000008)
is "$(sed -n 1p <<<"$out" | awk '{ print $2 $1 }')" "3b88800152454b414d2d494479" \
	"direct: power on (no answer), get ATR"
icc=$(sed -n '4s/^9000 //p' <<<"$out")
is "${#icc}" 16 "direct: GET CHALLENGE"
big=$(pattern 1000 6b)
out=$(direct "0082000010$(aes enc "$RND_IFD$icc")10" "00D6000000$(printf %04x 1000)$big" \
	"00B00000000000" "00B03F00000400" 00B00000 "00B0000000000101" 00B0 010203 \
	"00D63FF0000020$(zeros 32)" "10D600100000020102" "00D60010000002AABB" 00B0001004 \
	00D6000002 "10B0000004" "00B000000301")
like "$(sed -n 1p <<<"$out")" "^9000 [0-9a-f]{32}$" "direct: MUTUAL AUTHENTICATE in a later session"
is "$(sed -n 2p <<<"$out")" "9000" "UPDATE BINARY with extended length (1000 bytes): 9000"
is "$(sed -n 3p <<<"$out")" "9000 $big$(zeros 15384)" \
	"READ BINARY with extended Le 0000: the whole 16384-byte DG2"
is "$(sed -n 4p <<<"$out")" "6282 $(zeros 256)" "reading past the end: the rest and 6282"
is "$(sed -n 5p <<<"$out")" "6700" "READ BINARY without Le: 6700"
is "$(sed -n 6p <<<"$out")" "6700" "an extended APDU with Lc 0000: 6700"
is "$(sed -n 7p <<<"$out")" "6700" "a 2-byte APDU: 6700"
is "$(sed -n 8p <<<"$out")" "6700" "a 3-byte APDU: 6700"
is "$(sed -n 9p <<<"$out")" "6a84" "a write past the end of the file: 6A84"
is "$(sed -n 10p <<<"$out")" "9000" "an extended chained part: 9000"
is "$(sed -n 12p <<<"$out")" "9000 0102aabb" "extended chaining writes the whole chain"
is "$(sed -n 13p <<<"$out")" "6700" "UPDATE BINARY without data: 6700"
is "$(sed -n 14p <<<"$out")" "6884" "chaining on READ BINARY: 6884"
is "$(sed -n 15p <<<"$out")" "6700" "READ BINARY with a data field: 6700"
out=$(direct 00 "00A4040C07$AID" 00A4020C020102 "00D6000001FF")
is "$(sed -n 3p <<<"$out")" "6982" "after power off the authentication is gone: 6982"
is "$(sim_ctl remove)" "OK removed" "remove (direct)"
is "$(direct 04 "00A4040C07$AID")" "empty
empty" "without a card: empty answers"
sim_ctl insert >/dev/null
is "$(sim_ctl "fail E7")" "OK fail=E7" "fail E7"
is "$(direct "00A4040C07$AID" "00A4040C07$AID")" "6f00
9000" "the next APDU answers 6F00, only that one"

stop_sim
is "$SIM_STATUS" 0 "SIGTERM stops it with 0"
check_fails "... removing the control socket" test -e "$CTL"
check "... keeping the state file" test -s "$STATE"

if [ "${REKAM_TEST_VALGRIND:-0}" = 1 ]; then
	check "valgrind found no errors in the simulator" \
		sh -c "! grep -q . $REKAM_TMP/valgrind-sim.*.log"
fi
done_testing
