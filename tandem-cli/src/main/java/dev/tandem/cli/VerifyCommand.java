package dev.tandem.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.Tandem;
import dev.tandem.engine.Verifier;
import picocli.CommandLine.Command;

@Command(name = "verify", description = {
        "Check the migration in flight without changing anything.",
        "%nWalks each table the migration changes in key-ordered chunks (short read-only statements, safe on a"
                + " production primary) and reports rows the backfill has not reached yet and rows that would break a"
                + " constraint contract validates, with counts and sample keys. Exit code 5 when it finds any."})
final class VerifyCommand extends TandemCommand {

    @Override
    protected int run() {
        Tandem.VerifyReport report = tandem(CliListener.NONE).verify();
        if (json()) {
            ObjectNode root = Json.object().put("migration", report.migration()).put("clean", report.clean());
            root.set("tables", Json.MAPPER.valueToTree(report.tables()));
            Json.document(out(), root);
        } else if (!quiet()) {
            print(report);
        }
        return report.clean() ? ExitCodes.OK : ExitCodes.VERIFY_FOUND_PROBLEMS;
    }

    private void print(Tandem.VerifyReport report) {
        if (report.migration() == null || report.tables().isEmpty()) {
            out().println(report.migration() == null ? "nothing to verify: no migration is in flight"
                    : "nothing to verify in " + report.migration() + ": no table has rows to backfill or constraints to validate");
        } else {
            out().println("verify " + report.migration() + ":");
            for (Verifier.TableReport t : report.tables()) {
                out().println("  " + t.table() + " (" + Text.count(t.rows()) + " rows)");
                t.findings().forEach((what, f) -> out().println("    " + (f.rows() == 0 ? "ok   " : "FAIL ") + what + ": "
                        + Text.count(f.rows()) + " rows" + (f.sampleKeys().isEmpty() ? "" : ", e.g. keys " + String.join(", ", f.sampleKeys()))));
            }
            out().println(report.clean() ? "clean: contract can validate everything" : "problems found: fix the rows above (or finish the backfill) before contract");
        }
        out().flush();
    }
}
