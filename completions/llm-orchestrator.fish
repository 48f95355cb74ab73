# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_llm_orchestrator_global_optspecs
    string join \n config= v/verbose q/quiet log-format= database-url= h/help V/version
end

function __fish_llm_orchestrator_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_llm_orchestrator_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_llm_orchestrator_using_subcommand
    set -l cmd (__fish_llm_orchestrator_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -f -a "serve" -d 'Run the gateway (HTTP server)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -f -a "migrate" -d 'Apply or inspect database migrations'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -f -a "health" -d 'Check a running server (and with --deep, its database and Redis)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -f -a "config" -d 'Inspect the configuration'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -f -a "backup" -d 'Create, verify or restore database backups'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -f -a "man" -d 'Print the man page, or write every page into a directory'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -f -a "catalog" -d 'Export or import the catalog (providers, keys, models, routes) as TOML, JSON or xlsx'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -f -a "keys" -d 'Create, list, revoke and rotate client keys'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -f -a "stats" -d 'Usage statistics (requests, success rate, latency, tokens, cost) from the database'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -f -a "self-update" -d 'Check for a newer release and replace this binary with it (sha256-verified)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand serve" -l host -d 'Address to bind; overrides server.host / APP_HOST' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand serve" -l port -d 'Port to bind (0 picks a free one); overrides server.port / APP_PORT' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand serve" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand serve" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand serve" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand serve" -l no-migrate -d 'Do not apply pending migrations at start (refuse to start if any are pending)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand serve" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand serve" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand serve" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand serve" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and not __fish_seen_subcommand_from run status list help" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and not __fish_seen_subcommand_from run status list help" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and not __fish_seen_subcommand_from run status list help" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and not __fish_seen_subcommand_from run status list help" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and not __fish_seen_subcommand_from run status list help" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and not __fish_seen_subcommand_from run status list help" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and not __fish_seen_subcommand_from run status list help" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and not __fish_seen_subcommand_from run status list help" -f -a "run" -d 'Apply pending migrations (safe to run from several instances at once)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and not __fish_seen_subcommand_from run status list help" -f -a "status" -d 'Say whether migrations are pending (exit 1 if so)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and not __fish_seen_subcommand_from run status list help" -f -a "list" -d 'List every migration this binary carries, with its state'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and not __fish_seen_subcommand_from run status list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from run" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from run" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from run" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from run" -l json -d 'Print the result as JSON'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from run" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from run" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from status" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from status" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from status" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from status" -l json -d 'Print the result as JSON'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from list" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from list" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from list" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from list" -l json -d 'Print the result as JSON'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "run" -d 'Apply pending migrations (safe to run from several instances at once)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "status" -d 'Say whether migrations are pending (exit 1 if so)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "list" -d 'List every migration this binary carries, with its state'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand migrate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand health" -l url -d 'Base URL of the server (default: from server.host and server.port)' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand health" -l timeout -d 'How long each check may take, e.g. 5s, 500ms' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand health" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand health" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand health" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand health" -l deep -d 'Also check the database, Redis and the server\'s /admin/health'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand health" -l json -d 'Print the result as JSON'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand health" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand health" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand health" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand health" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and not __fish_seen_subcommand_from check keys example help" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and not __fish_seen_subcommand_from check keys example help" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and not __fish_seen_subcommand_from check keys example help" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and not __fish_seen_subcommand_from check keys example help" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and not __fish_seen_subcommand_from check keys example help" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and not __fish_seen_subcommand_from check keys example help" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and not __fish_seen_subcommand_from check keys example help" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and not __fish_seen_subcommand_from check keys example help" -f -a "check" -d 'Validate the configuration and print the effective values and their origins'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and not __fish_seen_subcommand_from check keys example help" -f -a "keys" -d 'List every configuration key with its default and environment names'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and not __fish_seen_subcommand_from check keys example help" -f -a "example" -d 'Print an example config file: every key, its doc line and its default (commented out)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and not __fish_seen_subcommand_from check keys example help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from check" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from check" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from check" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from check" -l json -d 'Print the result as JSON'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from check" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from keys" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from keys" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from keys" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from keys" -l markdown -d 'Print a Markdown table (the README\'s configuration reference)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from keys" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from keys" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from keys" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from keys" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from example" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from example" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from example" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from example" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from example" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from example" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from example" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "check" -d 'Validate the configuration and print the effective values and their origins'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "keys" -d 'List every configuration key with its default and environment names'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "example" -d 'Print an example config file: every key, its doc line and its default (commented out)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and not __fish_seen_subcommand_from create verify restore help" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and not __fish_seen_subcommand_from create verify restore help" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and not __fish_seen_subcommand_from create verify restore help" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and not __fish_seen_subcommand_from create verify restore help" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and not __fish_seen_subcommand_from create verify restore help" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and not __fish_seen_subcommand_from create verify restore help" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and not __fish_seen_subcommand_from create verify restore help" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and not __fish_seen_subcommand_from create verify restore help" -f -a "create" -d 'Write a consistent backup of every table (safe while `serve` runs)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and not __fish_seen_subcommand_from create verify restore help" -f -a "verify" -d 'Check a backup file\'s structure, row counts and checksum (exit 1 if corrupt)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and not __fish_seen_subcommand_from create verify restore help" -f -a "restore" -d 'Load a backup into the configured database, replacing its rows in one transaction'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and not __fish_seen_subcommand_from create verify restore help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from create" -l dir -d 'Directory for the backup file; overrides backup.dir' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from create" -l keep-days -d 'After a successful backup, delete backups in DIR older than N days' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from create" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from create" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from create" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from create" -l compress -d 'gzip the file (.jsonl.gz)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from create" -l json -d 'Print the result as JSON'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from create" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from verify" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from verify" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from verify" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from verify" -l json -d 'Print the result as JSON'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from restore" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from restore" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from restore" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from restore" -l yes -d 'Replace the contents of a non-empty database'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from restore" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from restore" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "create" -d 'Write a consistent backup of every table (safe while `serve` runs)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check a backup file\'s structure, row counts and checksum (exit 1 if corrupt)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Load a backup into the configured database, replacing its rows in one transaction'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand completions" -l dir -d 'Write `<dir>/<shell\'s file name>` instead of printing to stdout' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand completions" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand completions" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand completions" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand completions" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand completions" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand completions" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand completions" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand man" -l dir -d 'Write every page into DIR instead of printing the main page' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand man" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand man" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand man" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand man" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand man" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand man" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand man" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and not __fish_seen_subcommand_from export import help" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and not __fish_seen_subcommand_from export import help" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and not __fish_seen_subcommand_from export import help" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and not __fish_seen_subcommand_from export import help" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and not __fish_seen_subcommand_from export import help" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and not __fish_seen_subcommand_from export import help" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and not __fish_seen_subcommand_from export import help" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and not __fish_seen_subcommand_from export import help" -f -a "export" -d 'Write the catalog to a file (provider keys only as masked hints, unless asked)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and not __fish_seen_subcommand_from export import help" -f -a "import" -d 'Apply a catalog file: create and update what it lists (and with --prune, delete the rest). Prints the changes'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and not __fish_seen_subcommand_from export import help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from export" -l format -d 'File format; default: from the file\'s extension (.toml, .json, .xlsx), TOML for `-`' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from export" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from export" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from export" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from export" -l include-secrets -d 'Also write provider API keys, in clear. Keep such a file private'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from export" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from import" -l format -d 'File format; default: from the file\'s extension (.toml, .json, .xlsx), TOML for `-`' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from import" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from import" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from import" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from import" -l dry-run -d 'Show what would change, write nothing'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from import" -l prune -d 'Also delete providers, keys, models and routes the file does not list'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from import" -l json -d 'Print the changes as JSON'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from import" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from import" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from import" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write the catalog to a file (provider keys only as masked hints, unless asked)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from help" -f -a "import" -d 'Apply a catalog file: create and update what it lists (and with --prune, delete the rest). Prints the changes'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand catalog; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -f -a "create" -d 'Create a client key and print it (the only time it is shown)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -f -a "list" -d 'List client keys (enabled ones; --all adds revoked ones)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -f -a "revoke" -d 'Revoke a client key: it stops working at once'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -f -a "rotate" -d 'Give a client key a new secret (printed once); the old one stops working'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and not __fish_seen_subcommand_from create list revoke rotate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from create" -l name -d 'A name to recognise the key by (who or what uses it)' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from create" -l models -d 'Models the key may use, comma-separated; default: all' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from create" -l expires -d 'When the key stops working: an RFC 3339 time (2027-01-01T00:00:00Z), a date (2027-01-01, midnight UTC) or a duration from now (30d, 12h, 2w)' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from create" -l note -d 'A free-form note' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from create" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from create" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from create" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from create" -l json -d 'Print the key and its record as JSON'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from create" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from list" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from list" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from list" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from list" -l all -d 'Include revoked (disabled) keys'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from list" -l json -d 'Print as JSON'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from revoke" -l json -d 'Print the revoked key\'s record as JSON'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from revoke" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from revoke" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from revoke" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from rotate" -l json -d 'Print the new key and its record as JSON'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a client key and print it (the only time it is shown)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "list" -d 'List client keys (enabled ones; --all adds revoked ones)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke a client key: it stops working at once'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Give a client key a new secret (printed once); the old one stops working'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand stats" -l since -d 'Start: a duration ago (24h, 7d), a date (2026-11-01) or an RFC 3339 time' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand stats" -l until -d 'End (default: now), same forms as --since' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand stats" -l by -d 'One line per provider, model, client key or route' -r -f -a "provider\t''
model\t''
key\t''
route\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand stats" -l url -d 'Ask a running server\'s /admin/stats instead of reading the database' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand stats" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand stats" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand stats" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand stats" -l json -d 'Print the whole report (totals, groups, hourly series) as JSON'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand stats" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand stats" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand stats" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand stats" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand self-update" -l install-path -d 'Replace this file instead of the running binary' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand self-update" -l config -d 'Config file (TOML). Default: ./config.toml, else /etc/llm-orchestrator/config.toml' -r -F
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand self-update" -l log-format -d 'Log format; overrides log.format' -r -f -a "text\t''
json\t''"
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand self-update" -l database-url -d 'Database URL; overrides database.url / DATABASE_URL' -r
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand self-update" -l check -d 'Only compare the running version with the newest release (exit 1 if an update exists)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand self-update" -l yes -d 'Replace the binary without asking (required when stdin is not a terminal)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand self-update" -l json -d 'Print the result as JSON'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand self-update" -s v -l verbose -d 'More log output (-v debug, -vv trace); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand self-update" -s q -l quiet -d 'Less log output (-q warn, -qq error); overrides log.level'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand self-update" -s h -l help -d 'Print help'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand self-update" -s V -l version -d 'Print version'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and not __fish_seen_subcommand_from serve migrate health config backup completions man catalog keys stats self-update help" -f -a "serve" -d 'Run the gateway (HTTP server)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and not __fish_seen_subcommand_from serve migrate health config backup completions man catalog keys stats self-update help" -f -a "migrate" -d 'Apply or inspect database migrations'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and not __fish_seen_subcommand_from serve migrate health config backup completions man catalog keys stats self-update help" -f -a "health" -d 'Check a running server (and with --deep, its database and Redis)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and not __fish_seen_subcommand_from serve migrate health config backup completions man catalog keys stats self-update help" -f -a "config" -d 'Inspect the configuration'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and not __fish_seen_subcommand_from serve migrate health config backup completions man catalog keys stats self-update help" -f -a "backup" -d 'Create, verify or restore database backups'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and not __fish_seen_subcommand_from serve migrate health config backup completions man catalog keys stats self-update help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and not __fish_seen_subcommand_from serve migrate health config backup completions man catalog keys stats self-update help" -f -a "man" -d 'Print the man page, or write every page into a directory'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and not __fish_seen_subcommand_from serve migrate health config backup completions man catalog keys stats self-update help" -f -a "catalog" -d 'Export or import the catalog (providers, keys, models, routes) as TOML, JSON or xlsx'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and not __fish_seen_subcommand_from serve migrate health config backup completions man catalog keys stats self-update help" -f -a "keys" -d 'Create, list, revoke and rotate client keys'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and not __fish_seen_subcommand_from serve migrate health config backup completions man catalog keys stats self-update help" -f -a "stats" -d 'Usage statistics (requests, success rate, latency, tokens, cost) from the database'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and not __fish_seen_subcommand_from serve migrate health config backup completions man catalog keys stats self-update help" -f -a "self-update" -d 'Check for a newer release and replace this binary with it (sha256-verified)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and not __fish_seen_subcommand_from serve migrate health config backup completions man catalog keys stats self-update help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from migrate" -f -a "run" -d 'Apply pending migrations (safe to run from several instances at once)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from migrate" -f -a "status" -d 'Say whether migrations are pending (exit 1 if so)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from migrate" -f -a "list" -d 'List every migration this binary carries, with its state'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "check" -d 'Validate the configuration and print the effective values and their origins'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "keys" -d 'List every configuration key with its default and environment names'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "example" -d 'Print an example config file: every key, its doc line and its default (commented out)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "create" -d 'Write a consistent backup of every table (safe while `serve` runs)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "verify" -d 'Check a backup file\'s structure, row counts and checksum (exit 1 if corrupt)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "restore" -d 'Load a backup into the configured database, replacing its rows in one transaction'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from catalog" -f -a "export" -d 'Write the catalog to a file (provider keys only as masked hints, unless asked)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from catalog" -f -a "import" -d 'Apply a catalog file: create and update what it lists (and with --prune, delete the rest). Prints the changes'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "create" -d 'Create a client key and print it (the only time it is shown)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "list" -d 'List client keys (enabled ones; --all adds revoked ones)'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "revoke" -d 'Revoke a client key: it stops working at once'
complete -c llm-orchestrator -n "__fish_llm_orchestrator_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "rotate" -d 'Give a client key a new secret (printed once); the old one stops working'
