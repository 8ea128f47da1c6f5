package dev.parley.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * A deliberately small kustomize, so the manifests under {@code k8s/} can be checked without kubectl. It implements
 * exactly what those manifests use: {@code resources} (YAML files, and directories holding their own
 * {@code kustomization.yaml}) and {@code images} ({@code newName}, {@code newTag}, {@code digest}, applied to every
 * {@code containers} and {@code initContainers} entry, including those of bases, as kustomize does). Any other
 * kustomization field, a remote resource or an unknown {@code images} field is rejected rather than ignored, so a
 * manifest can never mean more than what the tests saw. Objects come out in the order they were read; kustomize sorts
 * them by kind, which changes nothing the tests look at.
 */
final class Kustomization {

    static final String FILE_NAME = "kustomization.yaml";
    static final Set<String> SUPPORTED_FIELDS = Set.of("apiVersion", "kind", "resources", "images");
    private static final Set<String> IMAGE_FIELDS = Set.of("name", "newName", "newTag", "digest");
    private static final YAMLMapper YAML = new YAMLMapper();

    /** A kustomization uses something this renderer does not implement. */
    static final class Unsupported extends IllegalArgumentException {
        Unsupported(Path kustomization, String what) {
            super(kustomization + ": " + what + " is not supported by this renderer (it implements local resources"
                    + " and images only); extend dev.parley.deploy.Kustomization and its tests before using it");
        }
    }

    private Kustomization() {
    }

    /** The objects {@code kubectl kustomize directory} would print, as JSON trees. */
    static List<ObjectNode> render(Path directory) {
        return render(directory.toAbsolutePath().normalize(), new LinkedHashSet<>());
    }

    private static List<ObjectNode> render(Path directory, Set<Path> visiting) {
        if (!visiting.add(directory)) {
            throw new IllegalArgumentException("kustomization cycle: " + visiting + " -> " + directory);
        }
        Path file = directory.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no " + FILE_NAME + " in " + directory);
        }
        JsonNode kustomization = readSingle(file);
        for (Iterator<String> names = kustomization.fieldNames(); names.hasNext();) {
            String field = names.next();
            if (!SUPPORTED_FIELDS.contains(field)) {
                throw new Unsupported(file, "field '" + field + "'");
            }
        }
        if (!"kustomize.config.k8s.io/v1beta1".equals(kustomization.path("apiVersion").asText())
                || !"Kustomization".equals(kustomization.path("kind").asText())) {
            throw new Unsupported(file, "anything but apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization");
        }

        List<ObjectNode> objects = new ArrayList<>();
        for (JsonNode entry : list(kustomization, "resources", file)) {
            String resource = entry.asText();
            if (!entry.isTextual() || resource.contains("://") || resource.contains("?ref=")
                    || resource.startsWith("github.com/") || resource.startsWith("git@")) {
                throw new Unsupported(file, "resource '" + entry + "' (only local files and directories)");
            }
            Path path = directory.resolve(resource).normalize();
            if (Files.isDirectory(path)) {
                objects.addAll(render(path, visiting));
            } else if (Files.isRegularFile(path)) {
                objects.addAll(readObjects(path));
            } else {
                throw new IllegalArgumentException(file + ": resource '" + resource + "' does not exist");
            }
        }
        rejectDuplicates(objects, file);
        for (JsonNode image : list(kustomization, "images", file)) {
            applyImage(image, objects, file);
        }
        visiting.remove(directory);
        return objects;
    }

    private static Iterable<JsonNode> list(JsonNode kustomization, String field, Path file) {
        JsonNode node = kustomization.get(field);
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException(file + ": '" + field + "' must be a list");
        }
        return node;
    }

    private static JsonNode readSingle(Path file) {
        try {
            JsonNode node = YAML.readTree(file.toFile());
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException(file + " is not a YAML mapping");
            }
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static List<ObjectNode> readObjects(Path file) {
        List<ObjectNode> objects = new ArrayList<>();
        try (JsonParser parser = YAML.createParser(file.toFile());
                MappingIterator<JsonNode> documents = YAML.readValues(parser, JsonNode.class)) {
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                if (document == null || document.isNull() || document.isMissingNode()) {
                    continue; // an empty document between two "---"
                }
                if (!document.isObject() || !document.hasNonNull("apiVersion") || !document.hasNonNull("kind")
                        || !document.path("metadata").hasNonNull("name")) {
                    throw new IllegalArgumentException(
                            file + ": every document needs apiVersion, kind and metadata.name");
                }
                if (document.path("kind").asText().endsWith("List")) {
                    throw new Unsupported(file, "a " + document.path("kind").asText() + " document");
                }
                objects.add((ObjectNode) document);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return objects;
    }

    private static void rejectDuplicates(List<ObjectNode> objects, Path file) {
        Set<String> ids = new HashSet<>();
        for (ObjectNode object : objects) {
            String id = object.path("apiVersion").asText() + " " + object.path("kind").asText() + " "
                    + object.path("metadata").path("namespace").asText("") + "/"
                    + object.path("metadata").path("name").asText();
            if (!ids.add(id)) {
                throw new IllegalArgumentException(file + ": resource " + id + " is defined twice");
            }
        }
    }

    private static void applyImage(JsonNode image, List<ObjectNode> objects, Path file) {
        if (!image.isObject() || !image.hasNonNull("name")) {
            throw new IllegalArgumentException(file + ": every images entry needs a name");
        }
        for (Iterator<String> names = image.fieldNames(); names.hasNext();) {
            String field = names.next();
            if (!IMAGE_FIELDS.contains(field)) {
                throw new Unsupported(file, "images field '" + field + "'");
            }
        }
        for (ObjectNode object : objects) {
            forEachContainer(object, container -> {
                JsonNode current = container.get("image");
                if (current != null && current.isTextual()) {
                    String updated = retag(current.asText(), image);
                    if (updated != null) {
                        container.put("image", updated);
                    }
                }
            });
        }
    }

    /** Visits every entry of every {@code containers} and {@code initContainers} list, at any depth. */
    private static void forEachContainer(JsonNode node, Consumer<ObjectNode> action) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext();) {
                Map.Entry<String, JsonNode> field = fields.next();
                boolean containerList = (field.getKey().equals("containers") || field.getKey().equals("initContainers"))
                        && field.getValue().isArray();
                if (containerList) {
                    for (JsonNode container : (ArrayNode) field.getValue()) {
                        if (container.isObject()) {
                            action.accept((ObjectNode) container);
                        }
                    }
                } else {
                    forEachContainer(field.getValue(), action);
                }
            }
        } else if (node.isArray()) {
            node.forEach(child -> forEachContainer(child, action));
        }
    }

    /** kustomize's rule: a new tag or digest replaces both the old tag and digest; null when the name differs. */
    static String retag(String reference, JsonNode image) {
        String name = reference;
        String digest = "";
        int at = name.indexOf('@');
        if (at >= 0) {
            digest = name.substring(at + 1);
            name = name.substring(0, at);
        }
        String tag = "";
        int colon = name.lastIndexOf(':');
        if (colon > name.lastIndexOf('/')) {
            tag = name.substring(colon + 1);
            name = name.substring(0, colon);
        }
        if (!name.equals(image.get("name").asText())) {
            return null;
        }
        String newTag = image.path("newTag").asText("");
        String newDigest = image.path("digest").asText("");
        if (!newTag.isEmpty() || !newDigest.isEmpty()) {
            tag = newTag;
            digest = newDigest;
        }
        String newName = image.path("newName").asText("");
        return (newName.isEmpty() ? name : newName) + (tag.isEmpty() ? "" : ":" + tag)
                + (digest.isEmpty() ? "" : "@" + digest);
    }
}
