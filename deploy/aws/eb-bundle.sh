#!/usr/bin/env bash
# Build the Elastic Beanstalk source bundle: the app, with Procfile, .ebextensions/ and
# .platform/ from deploy/aws/ at the root of the zip, where Elastic Beanstalk reads them.
#
#   deploy/aws/eb-bundle.sh [OUTPUT.zip]        (default: dist/automotive-chat-eb.zip)
#   eb deploy --staged   or upload the zip:  see README, "Deployment"
#
# The files are those git knows (tracked, and new ones not ignored): no .venv, instance/,
# .env or caches. Tests and benchmarks stay out.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
output=${1:-$root/dist/automotive-chat-eb.zip}
case "$output" in /*) ;; *) output="$PWD/$output" ;; esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

cd "$root"
git ls-files --cached --others --exclude-standard -z |
  while IFS= read -r -d '' path; do
    case "$path" in
      tests/* | bench/* | .ci/* | deploy/aws/.ebextensions/* | deploy/aws/.platform/*) continue ;;
    esac
    # Files only: a tracked file deleted in the working tree is not deployed, and a
    # symbolic link to a folder (a linked .venv) is not followed.
    [ -f "$path" ] || continue
    mkdir -p "$stage/$(dirname "$path")"
    cp -p "$path" "$stage/$path"
  done
cp -p deploy/aws/Procfile "$stage/Procfile"
cp -Rp deploy/aws/.ebextensions "$stage/.ebextensions"
cp -Rp deploy/aws/.platform "$stage/.platform"

mkdir -p "$(dirname "$output")"
rm -f "$output"
(cd "$stage" && python3 -m zipfile -c "$output" .)
echo "eb-bundle: wrote $output"
