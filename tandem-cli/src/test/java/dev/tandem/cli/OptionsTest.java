package dev.tandem.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What needs no database: help, usage errors, durations, progress lines, redaction. */
class OptionsTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "plan", "expand", "backfill", "contract", "rollback", "status", "migrate"})
    void everyCommandHasHelp(String command) {
        Cli.Result r = command.isEmpty() ? Cli.run("--help") : Cli.run(command, "--help");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Usage: tandem").contains("Exit codes:").contains("Another Tandem process holds the migration lock");
        if (!command.isEmpty()) assertThat(r.out()).contains("--url=JDBC-URL", "--lock-timeout", "--json", "--verbose");
    }

    @Test
    void statusHelpDocumentsTheCheckCodes() {
        Cli.Result r = Cli.run("status", "--help");
        assertThat(r.out()).contains("--check").contains("10   With --check: run expand next.").contains("13   ");
    }

    @Test
    void everyCommandHasVersion() {
        Cli.Result r = Cli.run("status", "--version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith("tandem ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"plan", "expand", "backfill", "contract", "rollback", "status", "migrate"})
    void missingUrlIsBadInput(String command) {
        // Assumes TANDEM_URL is not set in the test environment.
        Cli.Result r = Cli.run(command, "--migrations", "does-not-matter");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("tandem: error: Missing database URL").contains("Usage: tandem " + command);
        assertThat(r.out()).isEmpty();
    }

    @Test
    void usageErrorsExit2WithAShortUsage() {
        Cli.Result r = Cli.run("status", "--lock-timeout=soon", "--url=jdbc:postgresql://localhost/x");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("'soon' is not a duration").contains("Usage: tandem status [OPTIONS]")
                .doesNotContain("--retry-deadline");

        r = Cli.run("stauts");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Unmatched argument").contains("status");

        r = Cli.run("status", "--bogus");
        assertThat(r.exitCode()).isEqualTo(2);

        r = Cli.run();
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Missing command");

        r = Cli.run("status", "-q", "-v", "--url=jdbc:postgresql://localhost/x");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--quiet and --verbose");
    }

    @Test
    void backfillPacingOutOfRangeIsBadInputBeforeAnyConnection() {
        Cli.Result r = Cli.run("backfill", "--nice-ratio=-1", "--url=jdbc:postgresql://127.0.0.1:1/x");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("--nice-ratio: nice ratio must be 0..100, not -1.0").doesNotContain("Connection");

        r = Cli.run("migrate", "--target-batch=0ms", "--url=jdbc:postgresql://127.0.0.1:1/x");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("--target-batch: target batch must be more than 0");

        r = Cli.run("backfill", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("--nice-ratio=R").contains("--target-batch=DURATION").contains("--by-key");
    }

    @Test
    void unsupportedUrlIsBadInputAndItsPasswordIsMasked() {
        Cli.Result r = Cli.run("status", "--url=jdbc:mysql://db/app?user=u&password=Hunter2Secret");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("unsupported JDBC URL").contains("password=***");
        assertThat(r.all()).doesNotContain("Hunter2Secret");
    }

    @Test
    void unreachableDatabaseIsADatabaseErrorWithoutPassword(@org.junit.jupiter.api.io.TempDir java.nio.file.Path empty) {
        // An empty folder of its own: whatever else lies in the temp folder is not a migration.
        Cli.Result r = Cli.run("status", "--url=jdbc:postgresql://127.0.0.1:1/app?connectTimeout=2",
                "--password=Hunter2Secret", "--migrations", empty.toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).startsWith("tandem: error: ");
        assertThat(r.all()).doesNotContain("Hunter2Secret").doesNotContain("\tat ");
    }

    @Test
    void durations() {
        assertThat(DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(DurationConverter.parse("2s")).isEqualTo(Duration.ofSeconds(2));
        assertThat(DurationConverter.parse("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(DurationConverter.parse("10m")).isEqualTo(Duration.ofMinutes(10));
        assertThat(DurationConverter.parse("1h")).isEqualTo(Duration.ofHours(1));
        assertThat(DurationConverter.parse(" 3 S ")).isEqualTo(Duration.ofSeconds(3));
        assertThat(DurationConverter.parse("PT10S")).isEqualTo(Duration.ofSeconds(10));
        assertThat(DurationConverter.parse("0s")).isZero();
        for (String bad : new String[]{"", "10", "-1s", "1d", "abc", "s", "1.s", "PT-1S"}) {
            assertThatThrownBy(() -> DurationConverter.parse(bad)).as(bad).isInstanceOf(TypeConversionException.class)
                    .hasMessageContaining("ms, s, m or h");
        }
        assertThat(DurationConverter.format(Duration.ofMillis(500))).isEqualTo("500ms");
        assertThat(DurationConverter.format(Duration.ofMinutes(10))).isEqualTo("10m");
    }

    @Test
    void secretsAreRedacted() {
        assertThat(Secrets.redact("jdbc:postgresql://h/db?user=a&password=xyz&ssl=true", null))
                .isEqualTo("jdbc:postgresql://h/db?user=a&password=***&ssl=true");
        assertThat(Secrets.redact("failed for pw Hunter2Secret", "Hunter2Secret")).isEqualTo("failed for pw ***");
        assertThat(Cli.run("status", "--pasword=Hunter2Secret").all()).doesNotContain("Hunter2Secret");
        assertThat(Secrets.passwordInUrl("jdbc:postgresql://h/db?password=abc&x=1")).isEqualTo("abc");
    }

    @Test
    void plainBackfillProgressPrintsEveryIntervalAndAFinalLine() {
        AtomicLong now = new AtomicLong();
        StringWriter text = new StringWriter();
        BackfillLog log = new BackfillLog(new PrintWriter(text, true), now::get, 2_000);
        log.update("002_email", "users", 1_000, 10_000, 5_000);
        now.addAndGet(1_000_000_000L);
        log.update("002_email", "users", 2_000, 10_000, 5_000);   // within 2 s: silent
        now.addAndGet(1_500_000_000L);
        log.update("002_email", "users", 4_000, 10_000, 2_000);
        now.addAndGet(500_000_000L);
        log.update("002_email", "orders", 0, 0, 0);               // next table: users is done
        log.close();
        log.close();
        assertThat(text.toString().lines()).containsExactly(
                "002_email: backfill users: 4,000/10,000 rows (40%), 2,000 rows/s, about 3 s left",
                "002_email: backfill users: 4,000/10,000 rows (40%) done in 3.0 s, 1,000 rows/s",
                "002_email: backfill orders: 0/0 rows (100%) done in 0 ms");
    }
}
