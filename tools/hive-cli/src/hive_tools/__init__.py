"""Trading Hive tooling: the `hive` command line, playback/replay, the run report, the local
servers and the supervisor. It sits above the services (it imports some of them); nothing in
the core library or a service imports it."""
