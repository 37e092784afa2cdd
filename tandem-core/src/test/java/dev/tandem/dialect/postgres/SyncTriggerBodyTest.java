package dev.tandem.dialect.postgres;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which columns an expression names decides which variables the trigger declares: never miss one. */
class SyncTriggerBodyTest {
    @Test
    void findsBareQuotedAndDifferentlyCasedNamesButNotPartsOfOtherNames() {
        assertThat(SyncTriggerBody.mentions("lower(name) || '@x'", "name")).isTrue();
        assertThat(SyncTriggerBody.mentions("lower(NAME)", "name")).isTrue();
        assertThat(SyncTriggerBody.mentions("\"it's \"\"quoted\"\"\" * 10", "it's \"quoted\"")).isTrue();
        assertThat(SyncTriggerBody.mentions("\"select\" + 1", "select")).isTrue();
        assertThat(SyncTriggerBody.mentions("enabled <> 0", "enabled")).isTrue();
        assertThat(SyncTriggerBody.mentions("username || 'x'", "name")).isFalse();
        assertThat(SyncTriggerBody.mentions("name_2 + 1", "name")).isFalse();
        assertThat(SyncTriggerBody.mentions("coalesce(note, '')", "qty")).isFalse();
    }
}
