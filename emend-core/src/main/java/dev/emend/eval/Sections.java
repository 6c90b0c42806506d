package dev.emend.eval;

import dev.emend.edit.EditRequest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The probes of one case in a fixed order (rewrite, rephrase, locality by key, portability by key), so that rows
 * of many cases can be scored in one batch and the results dealt back: {@link #forEach} and {@link #map} visit the
 * items in the same order.
 */
record Sections<T>(List<T> rewrite, List<T> rephrase, Map<String, List<T>> locality, Map<String, List<T>> portability) {

    /** @param r a request @return its probes: the edit prompt and each rephrase with {@code target_new}, and the probes */
    static Sections<EditRequest.Probe> of(EditRequest r) {
        List<EditRequest.Probe> rephrase = new ArrayList<>();
        r.rephrasePrompts().forEach(p -> rephrase.add(new EditRequest.Probe(p, r.targetNew())));
        return new Sections<>(List.of(new EditRequest.Probe(r.filledPrompt(), r.targetNew())), rephrase, r.locality(),
                r.portability());
    }

    void forEach(Consumer<T> f) {
        rewrite.forEach(f);
        rephrase.forEach(f);
        locality.values().forEach(l -> l.forEach(f));
        portability.values().forEach(l -> l.forEach(f));
    }

    <U> Sections<U> map(Function<T, U> f) {
        List<U> rw = list(rewrite, f);
        List<U> rp = list(rephrase, f);
        Map<String, List<U>> loc = new LinkedHashMap<>();
        locality.forEach((k, v) -> loc.put(k, list(v, f)));
        Map<String, List<U>> port = new LinkedHashMap<>();
        portability.forEach((k, v) -> port.put(k, list(v, f)));
        return new Sections<>(rw, rp, Collections.unmodifiableMap(loc), Collections.unmodifiableMap(port));
    }

    private static <T, U> List<U> list(List<T> in, Function<T, U> f) {
        List<U> out = new ArrayList<>(in.size());
        for (T t : in) {
            out.add(f.apply(t));
        }
        return Collections.unmodifiableList(out);
    }
}
