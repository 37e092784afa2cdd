package dev.tandem.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What needs no database: help, usage errors, durations, progress lines, redaction. */
class OptionsTest {
    /** Migrations: none. (The shared temporary directory may hold anyone's files, which are read before connecting.) */
    @TempDir
    Path emptyDir;

    @ParameterizedTest
    @ValueSource(strings = {"", "plan", "expand", "backfill", "contract", "rollback", "status", "migrate"})
    void everyCommandHasHelp(String command) {
        Cli.Result r = command.isEmpty() ? Cli.run("--help") : Cli.run(command, "--help");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("Usage: tandem").contains("Exit codes:").contains("Another Tandem process holds the migration lock");
        if (!command.isEmpty()) assertThat(r.out()).contains("--url=URL", "--lock-timeout", "--json", "--verbose");
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

        r = Cli.run("backfill", "--workers=0", "--url=jdbc:postgresql://127.0.0.1:1/x");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("--workers: workers must be 1..16, not 0").doesNotContain("Connection");

        r = Cli.run("backfill", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("--nice-ratio=R").contains("--target-batch=DURATION").contains("--by-key")
                .contains("--workers=N");
    }

    @Test
    void unsupportedUrlIsBadInputAndItsPasswordIsMasked() {
        Cli.Result r = Cli.run("status", "--url=jdbc:sqlserver://db/app?user=u&password=Hunter2Secret");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("unsupported JDBC URL").contains("password=***");
        assertThat(r.all()).doesNotContain("Hunter2Secret");
    }

    @Test
    void unreachableDatabaseIsADatabaseErrorWithoutPassword() {
        Cli.Result r = Cli.run("status", "--url=jdbc:postgresql://127.0.0.1:1/app?connectTimeout=2",
                "--password=Hunter2Secret", "--migrations", emptyDir.toString());
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
                "002_email: backfill users: 4,000 of about 10,000 rows (40%), 2,000 rows/s, about 3 s left",
                "002_email: backfill users: 4,000 of about 10,000 rows (40%) done in 3.0 s, 1,000 rows/s",
                "002_email: backfill orders: 0/0 rows (100%) done in 0 ms");
    }

    /**
     * Every command's description is whole sentences: the first one is the summary 'tandem --help' lists, and
     * picocli prints each element as a paragraph of its own, so an element that stops mid-sentence shows as a
     * cut line.
     */
    @Test
    void everyCommandDescriptionIsWholeSentences() {
        var commands = Main.newCommandLine().getSubcommands();
        assertThat(commands.keySet()).contains("plan", "expand", "backfill", "verify", "status", "contract", "rollback",
                "migrate", "demo", "sandbox");
        String mainHelp = Cli.run("--help").out();
        for (var e : commands.entrySet()) {
            String[] description = e.getValue().getCommandSpec().usageMessage().description();
            assertThat(description).as(e.getKey()).isNotEmpty();
            for (String paragraph : description) {
                String text = paragraph.replace("%n", "").strip();
                assertThat(text).as(e.getKey() + ": a description paragraph ends a sentence").matches("(?s).*[.:)]$");
            }
            String summary = description[0];
            assertThat(summary).as(e.getKey() + ": the summary is one line of its own").doesNotContain("%n");
            assertThat(summary.strip()).as(e.getKey() + ": the summary is one sentence").matches("[A-Z][^.]*(\\.[^ .][^.]*)*\\.");
            // As 'tandem --help' lists it: the summary whole, however picocli wraps it.
            assertThat(listed(mainHelp, e.getKey())).as(e.getKey() + " in tandem --help").isEqualTo(summary.strip());
            for (String code : e.getValue().getCommandSpec().usageMessage().exitCodeList().values()) {
                assertThat(code.strip()).as(e.getKey() + ": exit code text").matches("(?s)[A-Z].*[.)]$");
            }
        }
    }

    /** The text 'tandem --help' shows next to a command in its list, continuation lines joined. */
    private static String listed(String help, String command) {
        List<String> lines = help.lines().toList();
        int start = lines.indexOf("Commands:");
        StringBuilder text = null;
        for (String line : lines.subList(start + 1, lines.size())) {
            if (line.isBlank()) break;
            boolean continuation = line.startsWith("    ") && !line.startsWith("  " + command + " ");
            if (text != null && continuation) {
                text.append(' ').append(line.strip());
            } else if (text != null) {
                break;
            } else if (line.startsWith("  " + command + " ")) {
                text = new StringBuilder(line.substring(command.length() + 2).strip());
            }
        }
        return text == null ? null : text.toString();
    }

    @Test
    void libpqUrisBecomeJdbcUrls() {
        DatabaseUrl u = DatabaseUrl.parse("postgresql://postgres@localhost:55432/postgres");
        assertThat(u.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost:55432/postgres");
        assertThat(u.user()).isEqualTo("postgres");
        assertThat(u.password()).isNull();

        u = DatabaseUrl.parse("postgres://app:p%40ss:w%2Frd@db1:5433,db2/my%20db?sslmode=require&application_name=a%20b"
                + "&connect_timeout=5&target_session_attrs=read-write");
        assertThat(u.jdbcUrl()).isEqualTo("jdbc:postgresql://db1:5433,db2/my+db?sslmode=require&ApplicationName=a+b"
                + "&connectTimeout=5&targetServerType=primary");
        assertThat(u.user()).isEqualTo("app");
        assertThat(u.password()).isEqualTo("p@ss:w/rd");

        assertThat(DatabaseUrl.parse("postgresql://[::1]:6000/db").jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:6000/db");
        assertThat(DatabaseUrl.parse("postgresql:///db?host=h&port=6000&user=u&password=pw&dbname=other").jdbcUrl())
                .isEqualTo("jdbc:postgresql://h:6000/other");
        assertThat(DatabaseUrl.parse("POSTGRESQL://").jdbcUrl()).isEqualTo("jdbc:postgresql://localhost/");
        assertThat(DatabaseUrl.parse("postgresql://h/a+b").jdbcUrl()).as("a plus is a plus in libpq")
                .isEqualTo("jdbc:postgresql://h/a%2Bb");
        // A JDBC URL is the driver's business, as it always was.
        assertThat(DatabaseUrl.parse(" jdbc:postgresql://h/db?user=x ").jdbcUrl()).isEqualTo("jdbc:postgresql://h/db?user=x");

        for (String bad : new String[]{"postgresql://h/db?keepalives=1", "postgresql://%2Fvar%2Frun/db",
                "postgresql://h:99999/db", "postgresql://h/db%zz", "postgresql://h/db?target_session_attrs=fastest",
                "mysql://h/db", "localhost:5432/db", "postgresql://h/db?sslmode"}) {
            assertThatThrownBy(() -> DatabaseUrl.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://h/db?keepalives=1")).hasMessageContaining("keepalives")
                .hasMessageContaining("sslmode");
    }

    @Test
    void urlFormsInHelpAndErrors() {
        assertThat(Cli.run("status", "--help").out()).contains("postgresql://").contains("jdbc:postgresql://");
        Cli.Result r = Cli.run("status", "--url=mysql://u:Hunter2Secret@db/app");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("--url: unsupported database URL (expected jdbc:postgresql://")
                .contains("postgresql://[USER[:PASSWORD]@]HOST");
        r = Cli.run("status", "--url=postgresql://u:Hunter2Secret@db/app?keepalives=1");
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(2);
        assertThat(r.err()).contains("URL parameter 'keepalives' is not supported here");
        assertThat(r.all()).doesNotContain("Hunter2Secret");
    }

    @Test
    void aLibpqUriIsTriedAndItsPasswordNeverShows() {
        Cli.Result r = Cli.run("status", "--url=postgresql://app:Hunter2Secret@127.0.0.1:1/app?connect_timeout=2",
                "--migrations", emptyDir.toString());
        assertThat(r.exitCode()).as("a database error, not bad input: " + r).isEqualTo(1);
        assertThat(r.all()).doesNotContain("Hunter2Secret");
        assertThat(Secrets.redact("postgresql://app:Hunter2Secret@h/db failed", null)).isEqualTo("postgresql://app:***@h/db failed");
        assertThat(Secrets.passwordInUrl("postgres://app:p%40ss@h/db")).isEqualTo("p@ss");
    }
}
