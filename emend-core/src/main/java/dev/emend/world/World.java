package dev.emend.world;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.emend.EmendException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A world of facts whose every detail is known: entities, relations with their templates, facts with the templates
 * each was trained in and held out of, aliases, two-hop facts and generic text. Written as {@code world.json} next
 * to the model trained on it, so every edit has ground truth for reliability, generalisation, locality and
 * portability.
 *
 * @param seed the generator seed
 * @param relations relations and templates
 * @param entities named subjects (countries, cities, people, companies, products)
 * @param facts one-hop facts
 * @param twoHop composed facts (e.g. the country of a person's birthplace)
 * @param reserved people absent from training, for insertion edits
 * @param generic non-fact sentences mixed into the corpus
 */
public record World(long seed, List<Relation> relations, List<Entity> entities, List<Fact> facts,
        List<Fact> twoHop, List<Entity> reserved, List<String> generic) {

    /**
     * A named subject.
     *
     * @param name canonical name
     * @param kind kind
     * @param aliases other names (e.g. "Dr. Mirela Dansk", "Korvex")
     */
    public record Entity(String name, Relation.Kind kind, List<String> aliases) {}

    /**
     * One fact and how it appears in the corpus.
     *
     * @param subject subject name
     * @param relation relation id
     * @param object object text
     * @param trained indices into the relation's {@link Relation#allTemplates()} used in training
     * @param heldOut indices never trained for this fact (generalisation tests)
     * @param aliasTrained index of a template trained with the subject's first alias, or -1
     */
    public record Fact(String subject, String relation, String object, List<Integer> trained, List<Integer> heldOut,
            int aliasTrained) {}

    /** @return relations by id */
    public Map<String, Relation> relationsById() {
        Map<String, Relation> m = new LinkedHashMap<>();
        relations.forEach(r -> m.put(r.id(), r));
        return m;
    }

    /** @return entities by name */
    public Map<String, Entity> entitiesByName() {
        Map<String, Entity> m = new HashMap<>();
        entities.forEach(e -> m.put(e.name(), e));
        return m;
    }

    /** @param subject a subject @return its one-hop facts */
    public List<Fact> factsOf(String subject) {
        List<Fact> out = new ArrayList<>();
        for (Fact f : facts) {
            if (f.subject().equals(subject)) {
                out.add(f);
            }
        }
        return out;
    }

    /** @param relation a relation id @return the distinct objects it takes across the world */
    public List<String> objectsOf(String relation) {
        List<String> out = new ArrayList<>();
        for (Fact f : facts) {
            if (f.relation().equals(relation) && !out.contains(f.object())) {
                out.add(f.object());
            }
        }
        return out;
    }

    private static ObjectMapper mapper() {
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /**
     * Writes {@code world.json}.
     *
     * @param file destination
     */
    public void write(Path file) {
        try {
            mapper().writeValue(file.toFile(), this);
        } catch (IOException e) {
            throw new EmendException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads {@code world.json}.
     *
     * @param file the file
     * @return the world
     */
    public static World read(Path file) {
        try {
            return mapper().readValue(file.toFile(), World.class);
        } catch (IOException e) {
            throw new EmendException("cannot read world file " + file + ": " + e.getMessage()
                    + "; regenerate it with `emend train-world`", e);
        }
    }
}
