package dev.emend.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.emend.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * Reads a params file (EasyEdit's hparams YAML, unchanged) into a record. Parsing is strict (see {@link Yaml}); the
 * record's compact constructor validates ranges. Every failure is a {@link ConfigException} naming the file, the key
 * and the accepted values.
 */
public final class ParamsLoader {
    private ParamsLoader() {}

    /**
     * Loads a YAML params file.
     *
     * @param file the file
     * @param type the record type, with {@code @JsonProperty} names equal to the YAML keys
     * @param <P> the params type
     * @return the validated params
     * @throws ConfigException if the file is missing, unreadable, has an unknown or missing key, or a bad value
     */
    public static <P> P load(Path file, Class<P> type) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), type);
        } catch (NoSuchFileException e) {
            throw new ConfigException("params file %s does not exist".formatted(file));
        } catch (IOException e) {
            throw new ConfigException("cannot read params file %s: %s".formatted(file, e.getMessage()), e);
        }
    }

    /**
     * Loads YAML params from a stream (e.g. a bundled resource).
     *
     * @param in the YAML text
     * @param source a name for messages (file or resource path)
     * @param type the record type
     * @param <P> the params type
     * @return the validated params
     * @throws ConfigException on any problem, naming {@code source} and the key
     */
    public static <P> P read(InputStream in, String source, Class<P> type) {
        try {
            P params = Yaml.yaml().readValue(in, type);
            if (params == null) {
                throw new ConfigException("params file %s is empty".formatted(source));
            }
            return params;
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream().map(Object::toString)
                    .sorted().collect(Collectors.joining(", "));
            throw new ConfigException("%s: unknown key '%s'%s; the keys of %s are: %s".formatted(source,
                    e.getPropertyName(), at(e), type.getSimpleName(), known), e);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new ConfigException("%s: %s".formatted(source, cause.getMessage()), cause);
        } catch (InvalidFormatException e) {
            throw new ConfigException("%s: key '%s' has value '%s'%s, which is not a valid %s".formatted(source,
                    path(e), e.getValue(), at(e), e.getTargetType() == null ? "value" : e.getTargetType().getSimpleName()), e);
        } catch (MismatchedInputException e) {
            String msg = e.getOriginalMessage();
            if (msg != null && msg.startsWith("Missing required creator property")) {
                throw new ConfigException("%s: required key '%s' is missing".formatted(source, path(e).isEmpty()
                        ? msg.replaceAll(".*'([^']+)'.*", "$1") : path(e)), e);
            }
            throw new ConfigException("%s: key '%s'%s: %s".formatted(source, path(e), at(e), firstLine(msg)), e);
        } catch (JsonProcessingException e) {
            throw new ConfigException("%s is not valid YAML%s: %s".formatted(source, at(e), firstLine(e.getOriginalMessage())), e);
        } catch (IOException e) {
            throw new ConfigException("cannot read params %s: %s".formatted(source, e.getMessage()), e);
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static String at(JsonProcessingException e) {
        JsonLocation l = e.getLocation();
        return l == null || l.getLineNr() < 0 ? "" : " (line %d)".formatted(l.getLineNr());
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
