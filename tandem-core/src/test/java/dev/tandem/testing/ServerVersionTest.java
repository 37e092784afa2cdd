package dev.tandem.testing;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The suite runs against the PostgreSQL major chosen with -Dtandem.pg.version, not whatever binaries were at hand. */
class ServerVersionTest {
    @Test
    void serverIsTheChosenMajorVersion() {
        String expected = System.getProperty("tandem.pg.version", "17");
        Object version = Rows.scalar(Pg.dataSource(), "SELECT current_setting('server_version_num')::int / 10000");
        System.out.println("PostgreSQL server major version: " + version);
        assertThat(version).isEqualTo(Integer.parseInt(expected));
    }
}
