package dev.emend.cli;

import dev.emend.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the bundled fact-world model is: {@code models/fact-world} under the Emend checkout. */
final class BundledModel {
    private BundledModel() {}

    /**
     * The bundled model's folder: under {@code -Demend.home} (set by the {@code ./emend} launcher), else under the
     * working directory.
     *
     * @return the folder
     * @throws ConfigException when it is not there
     */
    static Path path() {
        String home = System.getProperty("emend.home");
        Path dir = (home != null ? Path.of(home) : Path.of("")).resolve("models").resolve("fact-world").toAbsolutePath();
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new ConfigException(("the bundled model is not at %s; run from the Emend checkout (or through its "
                    + "./emend launcher), or pass --model DIR").formatted(dir));
        }
        return dir;
    }
}
