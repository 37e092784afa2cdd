package dev.tandem.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tandem.MigrationStatus;
import dev.tandem.engine.Plan;
import dev.tandem.state.BackfillState;

import java.util.List;
import java.util.Set;

/**
 * One table's backfill in {@code status --json}. A key walk's positions are keys, and show as keys: an object of the
 * key columns ({@code {"id": 42}}). A page walk's are not (a page number, the table's file, the rows per page when
 * it began): they show as a {@code position}, never as a {@code last_key} a reader could take for a row's key.
 */
final class BackfillJson {
    /** Key types whose text is a JSON number as it stands; other keys stay strings, as the database prints them. */
    private static final Set<String> NUMBERS = Set.of("smallint", "integer", "bigint", "int2", "int4", "int8");

    private BackfillJson() {
    }

    static ObjectNode of(BackfillState b, MigrationStatus m) {
        ObjectNode node = Json.object().put("table", b.table()).put("walk", b.walk() == BackfillState.Walk.PAGES ? "pages" : "key");
        if (b.walk() == BackfillState.Walk.PAGES) {
            ObjectNode position = node.putObject("position");
            if (b.lastKey() != null) position.put("next_page", Long.parseLong(b.lastKey().get(0)));
            else position.putNull("next_page");
            if (b.upperKey() != null) position.put("pages", Long.parseLong(b.upperKey().get(0)));
            else position.putNull("pages");
        } else {
            Plan.BackfillTask task = m.backfillTasks().stream().filter(t -> t.table().equals(b.table())).findFirst().orElse(null);
            key(node, "last_key", b.lastKey(), task);
            key(node, "upper_key", b.upperKey(), task);
        }
        node.put("rows_done", b.rowsDone()).put("rows_total", Math.max(b.rowsDone(), b.rowsTotal())).put("done", b.done())
                .put("batch_size", b.batchSize());
        node.set("updated_at", Json.MAPPER.valueToTree(b.updatedAt()));
        return node;
    }

    /** Without the plan's key columns (a plan from before they were recorded), the values as a plain array. */
    private static void key(ObjectNode node, String field, List<String> values, Plan.BackfillTask task) {
        if (values == null) {
            node.putNull(field);
        } else if (task == null || task.keyColumns() == null || task.keyColumns().size() != values.size()) {
            values.forEach(node.putArray(field)::add);
        } else {
            ObjectNode key = node.putObject(field);
            for (int i = 0; i < values.size(); i++) {
                String type = task.keyTypes() != null && i < task.keyTypes().size() ? task.keyTypes().get(i) : "";
                if (NUMBERS.contains(type)) key.put(task.keyColumns().get(i), Long.parseLong(values.get(i)));
                else key.put(task.keyColumns().get(i), values.get(i));
            }
        }
    }
}
