package dev.tandem.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * CI's guard that {@code mariadb-widen} still runs: every contender on a tiny table against a durable embedded MariaDB,
 * figures printed, every write of the load read back. Speeds are never asserted (see {@link BenchSmokeTest}).
 * pt-online-schema-change is measured where it is installed and reported missing elsewhere.
 */
class MariaDbWidenSmokeTest {
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void everyContenderRunsUnderTheLoadAndEveryWriteIsReadBack() {
        MainRun run = MainRun.of("mariadb-widen", "--rows", "2000", "--baseline-s", "0.3");
        String output = run.output();

        assertThat(run.code()).as(output).isZero();
        assertThat(output)
                .contains("server: embedded MariaDB", "innodb_flush_log_at_trx_commit=1", "sync_binlog=1", "binlog_format=ROW",
                        "durability: durable")
                .contains("== mariadb-widen: t.n INT -> BIGINT on 2,000 rows under 100 transactions/s")
                .contains("ALGORITHM=INPLACE, LOCK=NONE refused: error 1846")
                .contains("mariadb-widen finished in")
                .doesNotContain("\nerror: ", "WRITES:", "LOST");
        // The summary: the reference and both ALTERs with figures, every row the load wrote read back.
        String figures = "\\s+[0-9.]+\\s+\\d+\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9,]+\\s+[0-9.]+\\s+all [0-9,]+ read back";
        assertThat(output).containsPattern("one UPDATE \\(reference\\)" + figures);
        assertThat(output).containsPattern("\nALTER" + figures);
        assertThat(output).containsPattern("ALTER, ALGORITHM=COPY, LOCK=SHARED" + figures);
        assertThat(output).containsPattern("n afterwards: bigint");
        if (PtOnlineSchemaChange.find().isPresent()) {
            assertThat(output).containsPattern("pt-online-schema-change" + figures).contains("swap", "copy");
        } else {
            assertThat(output).contains("not run: pt-online-schema-change is not installed");
        }
        assertThat(output).containsPattern("\nTandem" + figures).containsPattern("\nTandem, nice ratio 0" + figures)
                .containsPattern("\nTandem, 2 workers, nice ratio 0" + figures).containsPattern("\nTandem, 2 workers" + figures)
                .contains("Tandem: errors ", "Tandem, nice ratio 0: errors ", "Tandem, 2 workers, nice ratio 0: errors ",
                        "backfill / UPDATE rows/s");
    }
}
