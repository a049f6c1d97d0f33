#!/usr/bin/env bash
# A private Postfix that delivers: postfix.sh in mailbox mode (see there).
#   postfix-mailbox.sh start DIR CHAIN KEY PORT DOMAIN
#   postfix-mailbox.sh stop DIR
POSTFIX_MAILBOX=1 exec bash "$(dirname "${BASH_SOURCE[0]}")/postfix.sh" "$@"
