package dev.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tandem.engine.LockMode;
import dev.tandem.engine.Locks;
import dev.tandem.engine.Step;
import dev.tandem.engine.TableLock;
import dev.tandem.state.Phase;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The human and JSON progress output, fed by hand as the core's executor would. */
class OutputTest {
    static final Step ADD = Step.metadata("add column users.email", "ALTER TABLE users ADD COLUMN email text",
            Locks.derived(new TableLock("app", "users", LockMode.ACCESS_EXCLUSIVE)));
    static final Step VIEW = Step.metadata("create view v.users", "CREATE VIEW ...",
            Locks.derived(new TableLock("v", "users", LockMode.ACCESS_EXCLUSIVE), new TableLock("app", "users", LockMode.ACCESS_SHARE)));
    static final Step SWITCH = Step.metadata("switch to the new shape:\n  - drop schema a\n  - rename column x", "...",
            Locks.derived(new TableLock("app", "users", LockMode.ACCESS_EXCLUSIVE)));

    @Test
    void stepLinesWithSkipsAndRetries() {
        StringWriter text = new StringWriter();
        StepPrinter p = printer(text);
        p.phaseStarted("002_email", Phase.EXPANDING, 3, 0);
        p.stepSkipped("002_email", Phase.EXPANDING, 0, 3, VIEW);
        p.stepStarted("002_email", Phase.EXPANDING, 1, 3, ADD);
        p.stepRetry("002_email", ADD, 1, Duration.ofMillis(48), "lock timeout");
        p.stepStarted("002_email", Phase.EXPANDING, 1, 3, ADD);
        p.stepRetry("002_email", ADD, 2, Duration.ofMillis(140), "lock timeout");
        p.stepStarted("002_email", Phase.EXPANDING, 1, 3, ADD);
        p.stepFinished("002_email", Phase.EXPANDING, 1, 3, ADD, Duration.ofMillis(12));
        p.stepStarted("002_email", Phase.EXPANDING, 2, 3, SWITCH);
        p.stepFinished("002_email", Phase.EXPANDING, 2, 3, SWITCH, Duration.ofMillis(1234));
        p.close();
        String e = Text.ELLIPSIS;
        assertThat(text.toString().lines()).containsExactly(
                "002_email: expand, 3 steps",
                "[expand 1/3] create view v.users " + e + " skipped (already done)",
                "[expand 2/3] add column users.email " + e + " waiting for lock " + e + " retry 1 in 48 ms",
                "[expand 2/3] " + e + " waiting for lock " + e + " retry 2 in 140 ms",
                "[expand 2/3] " + e + " 12 ms",
                "[expand 3/3] switch to the new shape:",
                "             - drop schema a",
                "             - rename column x " + e + " 1.2 s");
    }

    /** A step held back by long transactions says so on its own line, naming them, and its end follows. */
    @Test
    void heldBackStepNamesTheTransactions() {
        StringWriter text = new StringWriter();
        StepPrinter p = printer(text);
        p.stepStarted("002_email", Phase.EXPANDING, 1, 3, ADD);
        p.stepHeldBack("002_email", ADD, "connection 28 (app@h) has had a transaction open for 14 s", Duration.ofMillis(3_000));
        p.stepStarted("002_email", Phase.EXPANDING, 1, 3, ADD);
        p.stepFinished("002_email", Phase.EXPANDING, 1, 3, ADD, Duration.ofMillis(12));
        String e = Text.ELLIPSIS;
        assertThat(text.toString().lines()).containsExactly(
                "[expand 2/3] add column users.email " + e + " not started for 3.0 s: connection 28 (app@h) has had a"
                        + " transaction open for 14 s",
                "[expand 2/3] " + e + " 12 ms");
        StringWriter json = new StringWriter();
        new JsonEvents(new PrintWriter(json)).stepHeldBack("002_email", ADD, "connection 28", Duration.ofMillis(3_000));
        JsonNode event = CommandsTest.lines(json.toString()).get(0);
        assertThat(event.get("event").asText()).isEqualTo("step_held_back");
        assertThat(event.get("held_millis").asInt()).isEqualTo(3_000);
        assertThat(event.get("reason").asText()).isEqualTo("connection 28");
    }

    @Test
    void resumedPhaseSaysSo() {
        StringWriter text = new StringWriter();
        StepPrinter p = printer(text);
        p.phaseStarted("002_email", Phase.CONTRACTING, 5, 2);
        assertThat(text.toString()).isEqualTo("002_email: resuming contract at step 3 of 5 (2 done before)" + System.lineSeparator());
    }

    @Test
    void jsonEventsOnePerLine() {
        StringWriter text = new StringWriter();
        JsonEvents j = new JsonEvents(new PrintWriter(text));
        j.phaseStarted("002_email", Phase.EXPANDING, 1, 0);
        j.stepStarted("002_email", Phase.EXPANDING, 0, 1, ADD);
        j.stepRetry("002_email", ADD, 1, Duration.ofMillis(48), "lock timeout");
        j.stepFinished("002_email", Phase.EXPANDING, 0, 1, ADD, Duration.ofMillis(12));
        j.backfillProgress("002_email", "users", 500, 1000, 1234.56);
        List<JsonNode> events = CommandsTest.lines(text.toString());
        assertThat(events).extracting(n -> n.get("event").asText())
                .containsExactly("phase_started", "step_started", "step_retry", "step_finished", "progress");
        assertThat(events.get(2).get("index").asInt()).isEqualTo(1);
        assertThat(events.get(2).get("wait_millis").asInt()).isEqualTo(48);
        assertThat(events.get(3).get("effect").asText()).isEqualTo("metadata");
        assertThat(events.get(3).get("millis").asInt()).isEqualTo(12);
        assertThat(events.get(4).toString()).isEqualTo("{\"event\":\"progress\",\"migration\":\"002_email\",\"table\":\"users\","
                + "\"rows_done\":500,\"rows_total\":1000,\"rows_per_second\":1234.6}");
    }

    private static StepPrinter printer(StringWriter text) {
        return new StepPrinter(new PrintWriter(text), BackfillProgressStub.INSTANCE, false);
    }

    enum BackfillProgressStub implements BackfillProgress {
        INSTANCE;

        @Override
        public void update(String migration, String table, long rowsDone, long rowsTotal, double rowsPerSecond) {
        }

        @Override
        public void close() {
        }
    }
}
