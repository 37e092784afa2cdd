package dev.tandem.cli;

import dev.tandem.Outcome;
import dev.tandem.Tandem;
import dev.tandem.dialect.Dialects;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

@Command(name = "backfill", description = {
        "Fill the new columns of existing rows of the migration in flight.",
        "%nWorks in small batches, each its own short transaction: page by page in the table's physical order by"
                + " default (PostgreSQL 14+, tables neither partitioned nor inheritance parents), by key otherwise or with"
                + " --by-key. Stopped or killed, it resumes after the last batch when run again. Shows a progress bar per table on a terminal, a log"
                + " line every 2 s otherwise, and JSON progress events with --json.",
        "%nFrom another terminal, --pause, --resume and --rate control a running backfill; they take effect before"
                + " its next batch, and `tandem status` shows whether it is running, paused or throttled, and why."})
final class BackfillCommand extends LifecycleCommand {

    @Mixin
    BackfillPacing pacing;

    @Option(names = "--max-rows-per-second", paramLabel = "N",
            description = "Rate limit for this backfill (default: none). Change it while it runs with --rate.")
    Integer maxRowsPerSecond;

    @Option(names = "--replica", paramLabel = "JDBC-URL",
            description = "A replica whose lag to watch (repeatable). User and password as for --url unless the URL"
                    + " names its own (?user=...&password=...). Without any, the primary's pg_stat_replication is used"
                    + " (PostgreSQL); MariaDB and MySQL replicas must be named, and their login needs only SELECT on"
                    + " the state database.")
    List<String> replicas = new ArrayList<>();

    @Option(names = "--max-replica-lag", paramLabel = "DURATION", defaultValue = "1s", converter = DurationConverter.class,
            description = "Pause while a replica is further behind than this (default: ${DEFAULT-VALUE}).")
    Duration maxReplicaLag;

    @ArgGroup(exclusive = true)
    Control control;

    /** Instead of running a backfill, steer the one running elsewhere. */
    static final class Control {
        @Option(names = "--pause", required = true, description = "Pause the running backfill (it holds before its next batch).")
        boolean pause;

        @Option(names = "--resume", required = true, description = "Resume a paused backfill.")
        boolean resume;

        @Option(names = "--rate", required = true, paramLabel = "N|none",
                description = "Set the running backfill's rate limit in rows per second, or lift it with 'none'.")
        String rate;
    }

    /** A {@code user=} parameter in a JDBC URL. */
    private static final java.util.regex.Pattern NAMES_USER = java.util.regex.Pattern.compile("(?i)[?&]user=");

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    @Override
    Tandem.Config configure(Tandem.Config config) {
        List<DataSource> watched = new ArrayList<>();
        for (String url : replicas) {
            // A replica's login is often not the primary's (on MariaDB and MySQL one with SELECT on the state
            // database is enough): a user named in its URL wins, with the URL's password.
            boolean ownLogin = NAMES_USER.matcher(url).find();
            watched.add(Dialects.dataSource(url, ownLogin ? null : blankToNull(connection.user),
                    ownLogin ? null : blankToNull(connection.password)));
        }
        return pacing.apply(config, spec).maxRowsPerSecond(maxRowsPerSecond).replicas(watched).maxReplicaLag(maxReplicaLag);
    }

    @Override
    protected List<Outcome> execute(Tandem tandem) {
        if (control == null) return List.of(tandem.backfill());
        if (control.pause) return List.of(tandem.pauseBackfill());
        if (control.resume) return List.of(tandem.resumeBackfill());
        return List.of(tandem.backfillRate(parseRate(control.rate)));
    }

    private Integer parseRate(String rate) {
        if (rate.equalsIgnoreCase("none")) return null;
        try {
            return Integer.valueOf(rate);
        } catch (NumberFormatException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--rate takes a number of rows per second or 'none', not '" + rate + "'");
        }
    }
}
