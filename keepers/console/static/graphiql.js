// GraphiQL over the console's /graphql (queries only: the guard asks no session token for them).
(function () {
  const fetcher = GraphiQL.createFetcher({ url: "/graphql" });
  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: "{ governance { head chainTime } }",
    }),
  );
})();
