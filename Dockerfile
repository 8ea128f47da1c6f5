####
# Parley on the JVM (Quarkus aot-jar on Temurin 25, with the JDK's AOT cache). Build the application first, packaged
# as aot-jar so that the cache can hold its classes, then the image:
#
#   ./mvnw package -DskipTests -Dquarkus.package.jar.type=aot-jar
#   docker build -t parley:latest .
#
# (From the default fast-jar the image works the same and starts faster than without a cache, but about half as
# much: see README, "Fast start-up".)
#
# The image build trains the AOT cache (src/main/jvm/aot-cache.sh: start Parley once on a scratch SQLite file, wait
# until it is ready, send a few requests, stop it) with the very JDK and jar files of the image, which is what the
# cache requires; the container then reaches ready in well under half the time of a plain start (README, "Fast
# start-up", and bench/README.md, "StartupTime").
# A cache the JVM cannot use (another JDK build, changed jars) costs one warning line and the plain start, nothing else.
#
# Runs as uid 1001. It writes only to /tmp and to /work/data, where the default SQLite database lives
# (DATABASE_URL unset means ./data/parley.db under the working directory /work), so it also runs with a read-only
# root filesystem as in k8s/. Keep the data with a volume: docker run -v parley-data:/work/data -p 8080:8080 parley
# JVM options go in JAVA_TOOL_OPTIONS.
####
FROM eclipse-temurin:25-jre

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
# The service's JVM options (a java argument file; why each is there is written in it)
COPY src/main/jvm/parley.options /deployments/parley.options

# The training run uses the same path (/deployments/quarkus-run.jar) and JVM options as the ENTRYPOINT; the jar's
# directory must be the one the cache was trained with.
# AOT_TRAINING_DATABASE_URL (optional, e.g. --network host --build-arg AOT_TRAINING_DATABASE_URL=postgresql://...):
# train on a scratch PostgreSQL database instead of SQLite, for images that will run on PostgreSQL (README, "Fast
# start-up"). Build arguments show in the image's history: give a database whose credentials are not secret.
ARG AOT_TRAINING_DATABASE_URL=
COPY src/main/jvm/aot-cache.sh /tmp/aot-cache.sh
RUN JAVA=java JAVA_OPTS="-XX:MaxRAMPercentage=75 @/deployments/parley.options" AOT_TRAINING_DATABASE_URL="$AOT_TRAINING_DATABASE_URL" \
    bash /tmp/aot-cache.sh /deployments \
    && rm /tmp/aot-cache.sh

WORKDIR /work
USER 1001
EXPOSE 8080
ENTRYPOINT ["java", "-XX:AOTCache=/deployments/app.aot", "-XX:MaxRAMPercentage=75", "@/deployments/parley.options", \
    "-Djava.util.logging.manager=org.jboss.logmanager.LogManager", "-jar", "/deployments/quarkus-run.jar"]
