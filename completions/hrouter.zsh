
#compdef hrouter

_hrouter_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _HROUTER_COMPLETE=complete_zsh hrouter)
}

compdef _hrouter_completion hrouter

