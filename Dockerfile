# syntax=docker/dockerfile:1
# Accord in a container: one static binary on distroless, as a non-root user.
#   docker build -t accord .
#   docker run -p 8080:8080 -v accord-data:/data accord
# The setup link for the first administrator is in `docker logs`.

FROM golang:1.26 AS build
WORKDIR /src
ENV GOTOOLCHAIN=go1.27.3
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The same build line as .ci/run, so CI keeps it working.
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /accord . \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /accord /accord
# 65532 is distroless's "nonroot"; the database lives in /data.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV ACCORD_DATA=/data ACCORD_ADDR=:8080
VOLUME /data
EXPOSE 8080
# No curl in the image: the binary asks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/accord", "healthcheck"]
ENTRYPOINT ["/accord"]
CMD ["serve"]
