# shellcheck shell=bash
# Sourced by backup.sh and restore.sh: turn DATABASE_URL into what libpq tools take.
#
# The app accepts postgres://, postgresql:// and postgresql+psycopg2:// URLs; pg_dump and
# psql only the plain postgresql:// form. The password is moved out of the URL into
# PGPASSWORD, because a command line can be read by every user of the machine (ps) and
# the environment of a process only by its owner.

# pg_url_split URL: set PG_URL (no password) and export PGPASSWORD (percent-decoded).
pg_url_split() {
  local url=$1 rest authority userinfo password
  case "$url" in
    postgresql+*://*) rest=${url#*://} ;;
    postgresql://*) rest=${url#postgresql://} ;;
    postgres://*) rest=${url#postgres://} ;;
    *)
      echo "${0##*/}: DATABASE_URL is not a PostgreSQL URL (postgresql://user:password@host/db)" >&2
      return 2
      ;;
  esac
  authority=${rest%%[/?]*}
  if [[ $authority == *@* ]]; then
    userinfo=${authority%@*}
    if [[ $userinfo == *:* ]]; then
      password=${userinfo#*:}
      # Percent-decoding (%40 -> @), as libpq does for a password in a URL; backslashes
      # are doubled first so printf %b reads only the escapes made here.
      password=${password//\\/\\\\}
      printf -v PGPASSWORD '%b' "${password//%/\\x}"
      export PGPASSWORD
      rest="${userinfo%%:*}@${authority##*@}${rest:${#authority}}"
    fi
  fi
  # shellcheck disable=SC2034  # read by the scripts that source this file
  PG_URL="postgresql://$rest"
}
