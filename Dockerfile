####
# Parley on the JVM (Quarkus fast-jar). Build the application first, then the image:
#
#   ./mvnw package -DskipTests
#   docker build -t parley:latest .
#
# Runs as uid 1001. It writes only to /tmp and to /work/data, where the default SQLite database lives
# (DATABASE_URL unset means ./data/parley.db under the working directory /work), so it also runs with a read-only
# root filesystem as in k8s/. Keep the data with a volume: docker run -v parley-data:/work/data -p 8080:8080 parley
# JVM options go in JAVA_TOOL_OPTIONS.
####
FROM eclipse-temurin:17-jre

RUN groupadd --gid 1001 parley \
    && useradd --uid 1001 --gid 1001 --home-dir /work --no-create-home --shell /usr/sbin/nologin parley \
    && mkdir -p /work/data \
    && chown 1001:1001 /work/data

# Dependencies first: an application-only change rebuilds only the small layers below them. The application files
# stay owned by root, so the running user cannot change them.
COPY target/quarkus-app/lib/ /deployments/lib/
COPY target/quarkus-app/*.jar /deployments/
COPY target/quarkus-app/app/ /deployments/app/
COPY target/quarkus-app/quarkus/ /deployments/quarkus/

WORKDIR /work
USER 1001
EXPOSE 8080
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-Djava.util.logging.manager=org.jboss.logmanager.LogManager", \
    "-jar", "/deployments/quarkus-run.jar"]
