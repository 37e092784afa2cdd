package dev.tandem.cli;

import dev.tandem.Tandem;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** Logins whose sessions are the new version's without a session variable: the same option for plan, expand, migrate. */
final class NewVersionLogins {
    @Option(names = "--new-version-login", paramLabel = "USER",
            description = "MariaDB: sessions of this login (a user name, no host) that set no @tandem_version are the"
                    + " new version's, for the sync triggers and the contract guard; repeatable. Kept with the"
                    + " migration at its expand, so later commands need not repeat it (docs/CLI.md).")
    List<String> logins = new ArrayList<>();

    Tandem.Config apply(Tandem.Config config) {
        return config.newVersionLogins(logins.toArray(String[]::new));
    }
}
