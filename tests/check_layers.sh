#!/bin/sh
# SPDX-License-Identifier: MIT
# Layers run one way: common/ includes from no other folder of the project,
# fuse/ and guest/ only from common/ (and themselves). Includes name their
# folder ("common/log.h"), so a wrong-way one shows in the line itself.
# Prints each offending line; exits 1 if there is one.
set -u
cd "$(dirname "$0")/.."
bad=0
check() {
	folder=$1 forbidden=$2
	if grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]+\"($forbidden)/" "$folder"/*.[ch]; then
		echo "layers: $folder/ must not include from $(echo "$forbidden" | tr "|" " ")" >&2
		bad=1
	fi
	if grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[^/"]+"' "$folder"/*.[ch]; then
		echo "layers: $folder/: name the header's folder (#include \"common/log.h\")" >&2
		bad=1
	fi
}
check common 'host|guest|fuse|tests'
check fuse 'host|guest|tests'
check guest 'host|fuse|tests'
check host 'guest|tests'
exit $bad
