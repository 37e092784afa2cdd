package dev.tandem.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.MigrationStatus;
import dev.tandem.Status;
import dev.tandem.Tandem;
import dev.tandem.state.Phase;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;

@Command(name = "status", description = {
        "Show each migration's phase and what to run next.",
        "%nLists every migration with its phase, version schema, backfill progress and times, says what to run"
                + " next and how applications select their version. Reads only; changes nothing. With --check, the"
                + " exit code says what to run next, for deployment scripts."})
final class StatusCommand extends TandemCommand {

    @Option(names = "--check", description = "Exit with the code of what to run next: 0 nothing, 10 expand, 11 backfill,"
            + " 12 contract, 13 run the interrupted command again, 14 a command is still running (wait); 2 when a migration's file was changed or removed after"
            + " its expand (fix the files first).")
    boolean check;

    @Override
    protected int run() {
        Tandem tandem = tandem(CliListener.NONE);
        Status status = tandem.status();
        List<VersionConnection> versions = VersionConnection.of(status, tandem.dialect());
        if (json()) {
            Json.document(out(), toJson(status, versions));
        } else if (!quiet()) {
            new StatusPrinter(out(), connection.maskedUrl()).print(status, connection.stateSchema, versions);
            out().flush();
        }
        return check ? status.next().exitCode : ExitCodes.OK;
    }

    private ObjectNode toJson(Status status, List<VersionConnection> versions) {
        ObjectNode root = Json.object().put("schema", status.schema()).put("state_schema", connection.stateSchema);
        Status.Next next = status.next();
        root.putObject("next").put("action", next.name().toLowerCase(Locale.ROOT)).put("exit_code", next.exitCode)
                .put("text", next.text);
        root.put("running_command", status.runningCommand());
        ArrayNode migrations = root.putArray("migrations");
        for (MigrationStatus m : status.migrations()) {
            ObjectNode node = Json.MAPPER.valueToTree(m);
            ArrayNode backfill = node.putArray("backfill");
            m.backfill().forEach(b -> backfill.add(BackfillJson.of(b, m)));
            node.put("rows_done", m.rowsDone()).put("rows_total", m.rowsTotal());
            // Unknown until expand plans it (`tandem plan` says): not "false", which would promise no backfill.
            if (m.phase() == Phase.PENDING) node.putNull("needs_backfill");
            migrations.add(node);
        }
        root.set("instances", Json.MAPPER.valueToTree(status.instances()));
        root.put("sessions_visible", status.sessionsVisible());
        root.set("warnings", Json.MAPPER.valueToTree(status.warnings()));
        root.set("unattributed_sessions", Json.MAPPER.valueToTree(status.unattributed()));
        ArrayNode connect = root.putArray("versions");
        for (VersionConnection v : versions) {
            connect.addObject().put("role", v.role()).put("migration", v.migration()).put("version_schema", v.versionSchema())
                    .put("jdbc_url_option", v.jdbcOption()).put("init_sql", v.initSql());
        }
        return root;
    }
}
