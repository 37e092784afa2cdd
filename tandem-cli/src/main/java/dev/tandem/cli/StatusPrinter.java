package dev.tandem.cli;

import dev.tandem.MigrationStatus;
import dev.tandem.Status;
import dev.tandem.state.BackfillState;
import dev.tandem.state.Phase;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** The human layout of {@code status}: a table of migrations, warnings, what next, and how to connect. */
final class StatusPrinter {
    private static final String[] HEADER = {"MIGRATION", "PHASE", "VERSION SCHEMA", "BACKFILL", "STARTED", "COMPLETED"};
    private final PrintWriter out;
    private final String maskedUrl;

    StatusPrinter(PrintWriter out, String maskedUrl) {
        this.out = out;
        this.maskedUrl = maskedUrl;
    }

    void print(Status status, String stateSchema, List<VersionConnection> versions) {
        out.println("schema " + status.schema() + " (state in " + stateSchema + ")");
        if (status.migrations().isEmpty()) {
            out.println("no migrations");
        } else {
            table(status.migrations());
        }
        for (MigrationStatus m : status.migrations()) {
            if (m.fileMissing()) {
                out.println("! " + m.name() + ": its file is missing from the migrations directory (the database has it as "
                        + m.phase() + (m.file() != null ? ", from " + m.file() : "") + ")");
            } else if (m.fileChanged()) {
                out.println("! " + m.name() + ": " + m.file() + " was changed after the migration was expanded;"
                        + " restore it (new changes belong in a new migration)");
            }
        }
        status.current().map(MigrationStatus::activity).filter(a -> a != null && a.status() != null).ifPresent(a ->
                out.println("backfill: " + a.status() + (a.reason() != null ? " — " + a.reason() : "")
                        + (a.seenAt() != null ? " (last seen " + Text.time(a.seenAt()) + ")" : "")
                        // A done backfill has nothing left to hold back.
                        + (a.maxRowsPerSecond() != null && !"done".equals(a.status())
                        ? "; rate limit " + a.maxRowsPerSecond() + " rows/s" : "")));
        status.current().filter(m -> m.phase().inFlight() && m.phase() != Phase.ROLLING_BACK).ifPresent(m ->
                out.println("new version " + m.name() + ": " + m.readiness() + (m.ready() ? ""
                        : " (its schema is created when the backfill completes; roll it out only then)")
                        + (m.newVersionLogins().isEmpty() ? "" : "; sessions of login(s) "
                        + String.join(", ", m.newVersionLogins()) + " are this version without @tandem_version")));
        out.println();
        out.println("application instances: " + (!status.instances().isEmpty() ? ""
                : !status.sessionsVisible() ? "none of this login's own; other logins' sessions cannot be seen"
                : "none seen (instances show up when they use TandemDataSource, or connect as shown under \"How an"
                + " application selects its version\")"));
        for (String warning : status.warnings()) out.println("  ! " + warning);
        for (var i : status.instances()) {
            out.println("  " + i.id() + "  version " + i.version() + (i.host() != null ? "  host " + i.host() : "")
                    + "  connections " + i.connections() + (i.heartbeat() ? "  heartbeat" : "")
                    + (i.lastSeen() != null ? "  last seen " + Text.time(i.lastSeen()) : "")
                    + (i.sessions() != null ? "  sessions: " + i.sessions() : ""));
        }
        if (!status.unattributed().isEmpty()) {
            out.println("sessions of no known version (no default database; they block contract and rollback until they"
                    + " go or are ignored with --ignore-session <id>):");
            for (var s : status.unattributed()) out.println("  " + s.describe());
        }
        out.println();
        if (status.runningCommand() != null) out.println("running now: " + status.runningCommand());
        out.println("next: " + status.next().text + resumeWhat(status));
        if (!versions.isEmpty()) {
            out.println();
            out.println("How an application selects its version, and names itself so that status and contract see it:");
            out.println("by " + versions.get(0).how() + ".");
            for (VersionConnection v : versions) {
                out.println("  " + v.versionSchema() + "  (" + role(v) + ")");
                out.println("    JDBC URL (" + v.driver() + "):  " + (maskedUrl != null ? v.jdbcUrl(maskedUrl) : v.jdbcOption()));
                if (v.applicationName() != null && v.nameSetting() != null) {
                    out.println("    " + v.nameSetting() + ":    " + v.applicationName() + "  (" + VersionConnection.INSTANCE
                            + ": a name unique to each instance, e.g. its host name)");
                }
                out.println("    HikariCP:           connectionInitSql: " + v.initSql());
            }
        }
    }

    private static String role(VersionConnection v) {
        return switch (v.role()) {
            case "new" -> "new version " + v.migration() + ", in flight";
            case "previous" -> v.migration() != null ? "previous version " + v.migration()
                    : "previous version: the tables themselves, before any migration";
            default -> "current version " + v.migration();
        };
    }

    private void table(List<MigrationStatus> migrations) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (MigrationStatus m : migrations) {
            rows.add(new String[]{m.name(), m.phase().text + (m.fileChanged() || m.fileMissing() ? " !" : ""),
                    m.versionSchema() == null ? "" : m.versionSchema(), backfill(m), Text.time(m.startedAt()),
                    m.phase() == Phase.ROLLED_BACK ? "rolled back " + Text.time(m.rolledBackAt()) : Text.time(m.completedAt())});
        }
        int[] widths = new int[HEADER.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) widths[i] = Math.max(widths[i], row[i].length());
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : Text.padRight(row[i], widths[i] + 2));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private static String backfill(MigrationStatus m) {
        if (!m.needsBackfill()) return "-";
        // What the rolled-back expand's backfill did is history: the columns it filled are gone.
        if (m.phase() == Phase.ROLLED_BACK) return "rolled back";
        if (m.backfill().isEmpty()) return "not started";
        // How the tables are walked: a page walk turned into a key walk (a rewrite, --by-key) shows here.
        String walks = String.join("+", m.backfill().stream().map(b -> b.walk() == BackfillState.Walk.PAGES ? "by page" : "by key")
                .distinct().toList());
        return Text.rowsOf(m.rowsDone(), m.rowsTotal()) + " (" + Text.percent(m.rowsDone(), m.rowsTotal())
                + "), " + walks;
    }

    /** Which command an interrupted migration needs, and what else is possible from its phase (docs/PHASES.md). */
    private static String resumeWhat(dev.tandem.Status status) {
        if (status.next() != dev.tandem.Status.Next.RESUME) return "";
        return status.current().map(m -> switch (m.phase()) {
            case EXPANDING -> ": `tandem expand` goes on from its last step (or `tandem rollback` undoes it)";
            case CONTRACTING -> ": `tandem contract` finishes it (the previous version's shape is gone: no rollback)";
            case ROLLING_BACK -> ": `tandem rollback` finishes it";
            default -> "";
        }).orElse("");
    }
}
