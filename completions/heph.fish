# fish completion for heph. Every answer comes from `heph __complete`: the
# verbs and options from heph's verb table, project names, tags and
# outstanding tasks (handle, title as description) from the local database.
# Where it has nothing to offer, file names.
function __heph_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l cands (heph __complete -- $words (commandline -ct) 2>/dev/null)
    if test (count $cands) -gt 0
        printf '%s\n' $cands
    else
        __fish_complete_path (commandline -ct)
    end
end
complete -c heph -f -a '(__heph_complete)'
