
_hrouter_completion() {
    local IFS=$'
'
    COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" \
                   COMP_CWORD=$COMP_CWORD \
                   _HROUTER_COMPLETE=complete_bash $1 ) )
    return 0
}

complete -o default -F _hrouter_completion hrouter

