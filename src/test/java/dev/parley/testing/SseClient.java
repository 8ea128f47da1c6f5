package dev.parley.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Reads a server-sent-event response incrementally, as a browser's EventSource would. */
public final class SseClient implements AutoCloseable {

    public record Event(String name, String data) {
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    public final HttpResponse<InputStream> response;
    private final BufferedReader reader;

    private SseClient(HttpResponse<InputStream> response) {
        this.response = response;
        this.reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    }

    public static SseClient post(int port, String path, String apiKey, String json) throws IOException,
            InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                .header("Authorization", "Bearer " + apiKey).header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
        return new SseClient(HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream()));
    }

    /** The next event, or null at the end of the stream. */
    public Event next() throws IOException {
        String name = null;
        StringBuilder data = null;
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.isEmpty()) {
                if (data != null) {
                    return new Event(name, data.toString());
                }
                continue;
            }
            if (line.startsWith("event:")) {
                name = line.substring(6).trim();
            } else if (line.startsWith("data:")) {
                String d = line.substring(line.startsWith("data: ") ? 6 : 5);
                data = data == null ? new StringBuilder(d) : data.append('\n').append(d);
            }
        }
        return data == null ? null : new Event(name, data.toString());
    }

    public List<Event> readAll() throws IOException {
        List<Event> events = new ArrayList<>();
        Event e;
        while ((e = next()) != null) {
            events.add(e);
        }
        return events;
    }

    public List<Event> readUntil(Predicate<Event> stop) throws IOException {
        List<Event> events = new ArrayList<>();
        Event e;
        while ((e = next()) != null) {
            events.add(e);
            if (stop.test(e)) {
                break;
            }
        }
        return events;
    }

    @Override
    public void close() throws IOException {
        response.body().close();
    }
}
