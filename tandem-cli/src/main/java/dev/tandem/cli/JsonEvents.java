package dev.tandem.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.Outcome;
import dev.tandem.engine.Step;
import dev.tandem.state.Phase;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * Machine progress on stdout: one JSON object per line, each with an {@code event} field. See docs/CLI.md for the
 * shapes.
 */
final class JsonEvents implements CliListener {
    private final PrintWriter out;
    /** The last step_started event: a retry names only its step, so its phase and number are taken from here. */
    private volatile ObjectNode started;

    JsonEvents(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void phaseStarted(String migration, Phase phase, int steps, int alreadyDone) {
        Json.line(out, Json.event("phase_started").put("migration", migration).put("phase", phase.text)
                .put("command", CliListener.verb(phase)).put("steps", steps).put("already_done", alreadyDone));
    }

    @Override
    public void stepStarted(String migration, Phase phase, int index, int total, Step step) {
        started = step(Json.event("step_started"), migration, phase, index, total, step);
        Json.line(out, started);
    }

    @Override
    public void stepSkipped(String migration, Phase phase, int index, int total, Step step) {
        Json.line(out, step(Json.event("step_skipped"), migration, phase, index, total, step));
    }

    @Override
    public void stepFinished(String migration, Phase phase, int index, int total, Step step, Duration took) {
        Json.line(out, step(Json.event("step_finished"), migration, phase, index, total, step).put("millis", took.toMillis()));
    }

    @Override
    public void stepHeldBack(String migration, Step step, String why, Duration heldFor) {
        Json.line(out, Json.event("step_held_back").put("migration", migration).put("description", step.description())
                .put("held_millis", heldFor.toMillis()).put("reason", why));
    }

    @Override
    public void stepRetry(String migration, Step step, int attempt, Duration wait, String reason) {
        ObjectNode event = Json.event("step_retry").put("migration", migration);
        ObjectNode last = started;
        if (last != null && step.description().equals(last.path("description").asText(null))) {
            event.set("phase", last.get("phase"));
            event.set("command", last.get("command"));
            event.set("index", last.get("index"));
            event.set("total", last.get("total"));
        }
        Json.line(out, event.put("description", step.description()).put("attempt", attempt)
                .put("wait_millis", wait.toMillis()).put("reason", reason));
    }

    @Override
    public void phaseFinished(String migration, Phase phase, Duration took) {
        Json.line(out, Json.event("phase_finished").put("migration", migration).put("phase", phase.text)
                .put("command", CliListener.verb(phase)).put("millis", took.toMillis()));
    }

    @Override
    public void backfillProgress(String migration, String table, long rowsDone, long rowsTotal, double rowsPerSecond) {
        Json.line(out, Json.event("progress").put("migration", migration).put("table", table).put("rows_done", rowsDone)
                .put("rows_total", Math.max(rowsTotal, rowsDone)).put("rows_per_second", Math.round(rowsPerSecond * 10) / 10.0));
    }

    @Override
    public void message(String text) {
        Json.line(out, Json.event("message").put("text", text));
    }

    @Override
    public void close() {
        out.flush();
    }

    static ObjectNode outcome(Outcome o) {
        return Json.event("outcome").put("migration", o.migration()).put("phase", o.phase().text)
                .put("changed", o.changed()).put("message", o.message());
    }

    private static ObjectNode step(ObjectNode node, String migration, Phase phase, int index, int total, Step step) {
        return node.put("migration", migration).put("phase", phase.text).put("command", CliListener.verb(phase))
                .put("index", index + 1).put("total", total).put("description", step.description())
                .put("sql", step.sql()).put("lock", step.locks().summary()).putPOJO("locks", step.locks())
                .put("effect", step.effect().name().toLowerCase(java.util.Locale.ROOT)).put("effect_text", step.effect().text);
    }
}
