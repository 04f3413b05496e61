;; Optional: stormbridge builds the topology jar itself with Python's zipfile (no
;; Leiningen, no JDK): the jar holds src/, one boot script per Python component and
;; the stormbridge runtime under resources/.
;;
;; Keep this file only if your topology needs extra JVM jars on the workers (a Kafka
;; spout, a custom serializer, ...). List them in :dependencies; `sparse jar` and
;; `sparse submit` resolve them with Maven (a throw-away pom in _build/jvm-deps/ in
;; which storm-client is `provided`) and merge their classes into the topology jar.
;; Storm's own artifacts (storm-core, storm-client, ...) and anything with
;; :scope "provided" or "test" are left out; :exclusions, :classifier and
;; :repositories are honoured; nothing else here is read. See docs/jar.md.
;;
;; Example (Kafka spout; storm-kafka-client expects you to add kafka-clients):
;;   [org.apache.storm/storm-kafka-client "2.8.3"]
;;   [org.apache.kafka/kafka-clients "3.9.1"]
(defproject wordcount "0.0.1-SNAPSHOT"
  :min-lein-version "2.0.0"
  :dependencies [[org.apache.storm/storm-core "2.8.3" :scope "provided"]])
