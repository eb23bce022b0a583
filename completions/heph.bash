# bash completion for heph. Every answer comes from `heph __complete`: the
# verbs and options from heph's verb table, project names, tags and
# outstanding tasks from the local database (docs/how-to/complete-and-read-the-manual.md).
_heph()
{
	local cur=${COMP_WORDS[COMP_CWORD]} line word
	local -a words=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
	COMPREPLY=()
	while IFS= read -r line; do
		word=${line%%$'\t'*}
		[[ -n $word ]] && COMPREPLY+=("$(printf '%q' "$word")")
	done < <("${COMP_WORDS[0]}" __complete -- "${words[@]}" "$cur" 2>/dev/null)
	# one candidate, an option that takes no value or a word: a space after it
	return 0
}
complete -o default -F _heph heph
