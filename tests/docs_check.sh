#!/usr/bin/env bash
# Keeps README.md and docs/*.md true to the repository. Two checks, each a CTest test:
#
#   docs_check.sh code SOURCE_DIR
#       A code block right after a line `<!-- path -->` appears in that file line for line
#       (leading and trailing spaces aside, so an excerpt may be shown unindented): the code the
#       docs show is code the build compiles, and a change to one that forgets the other fails.
#   docs_check.sh links SOURCE_DIR
#       Every relative link and image ([text](path), ![alt](path)) names a file or folder inside
#       the repository, and so does every file name in backticks that starts with one of the
#       repository's folders (`core/tensor.hpp`). Links to http(s) URLs are left to the reader.
set -euo pipefail
mode=$1
src=$(cd "$2" && pwd -P)
cd "$src"
pages=(README.md docs/*.md)

case $mode in
code)
    for page in "${pages[@]}"; do
        awk -v page="$page" '
            function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
            function check(    n, i, j, line, status) {
                checked++
                status = (getline line < path)
                if (status < 0) { printf "%s:%d: <!-- %s --> names no file\n", page, at, path; bad++; return }
                delete src
                n = 0
                while (status > 0) { src[++n] = trim(line); status = (getline line < path) }
                close(path)
                for (i = 0; i + nb <= n; i++) {
                    for (j = 1; j <= nb && src[i + j] == blk[j]; j++) {}
                    if (j > nb) return
                }
                printf "%s:%d: the code block is not in %s line for line; ", page, at, path
                for (j = 1; j <= nb; j++) {
                    for (i = 1; i <= n && src[i] != blk[j]; i++) {}
                    if (i > n) { printf "its line %d is nowhere in it:\n    %s\n", j, blk[j]; bad++; return }
                }
                printf "its lines are there, but not together in this order\n"
                bad++
            }
            /^<!-- [^ ]+ -->[ \t]*$/ && !inblock { path = $2; at = NR; armed = 1; next }
            armed && /^```/ { inblock = 1; armed = 0; nb = 0; next }
            inblock && /^```[ \t]*$/ { inblock = 0; check(); next }
            inblock { blk[++nb] = trim($0); next }
            { armed = 0 }
            END {
                if (inblock) { printf "%s:%d: the code block never ends\n", page, at; bad++ }
                printf "%s: %d marked code block(s), %d not found\n", page, checked, bad
                exit bad > 0
            }' "$page" || fail=1
    done
    ;;
links)
    folders='core|nn|optim|data|viz|examples|tests|scripts|docs|bench|cmake'
    for page in "${pages[@]}"; do
        dir=$(dirname "$page")
        # [text](target) and ![alt](target), outside code blocks; the target up to a space or ")".
        while IFS=: read -r line target; do
            target=${target%%#*}
            case $target in ''|http://*|https://*|mailto:*) continue ;; esac
            resolved=$(realpath -m "$dir/$target")
            if [[ $resolved != "$src" && $resolved != "$src"/* ]]; then
                echo "$page:$line: link to $target leaves the repository"; fail=1
            elif [[ ! -e $resolved ]]; then
                echo "$page:$line: link to $target: no such file"; fail=1
            fi
        done < <(awk '/^```/ { code = !code; next }
                      !code { s = $0; gsub(/`[^`]*`/, "", s)
                              while (match(s, /\]\([^) ]+/)) { print NR ":" substr(s, RSTART + 2, RLENGTH - 2); s = substr(s, RSTART + RLENGTH) } }' "$page")
        # `folder/file` in backticks, relative to the repository's root (`../x` relative to the
        # page), outside code blocks.
        while IFS=: read -r line name; do
            case $name in *'*'*|*'...'*) continue ;; ../*) resolved=$(realpath -m "$dir/$name") ;; *) resolved=$src/$name ;; esac
            if [[ $resolved != "$src"/* ]]; then
                echo "$page:$line: \`$name\` is outside the repository"; fail=1
            elif [[ ! -e $resolved ]]; then
                echo "$page:$line: \`$name\` is not a file in the repository"; fail=1
            fi
        done < <(awk -v re="^((${folders})/|[.][.]/)[A-Za-z0-9_./-]*$" '/^```/ { code = !code; next }
                      !code { s = $0
                              while (match(s, /`[^`]+`/)) { t = substr(s, RSTART + 1, RLENGTH - 2); s = substr(s, RSTART + RLENGTH)
                                                             if (t ~ re) print NR ":" t } }' "$page")
    done
    [[ ${fail:-0} == 0 ]] && echo "every link and backticked file name in ${pages[*]} is in the repository"
    ;;
*)
    echo "usage: docs_check.sh code|links SOURCE_DIR" >&2
    exit 2
    ;;
esac
exit "${fail:-0}"
